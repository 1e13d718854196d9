import Foundation
import SurgeResults
import SurgeStats

/// This week against the previous one, cell by cell, on the runs' own medians: each run is one
/// value (n = runs), so run-to-run noise is the noise and repetitions inside a run are not
/// counted as if independent. Two-sided Mann-Whitney U on the per-run medians; a row is a
/// change when p ≤ `alpha` and the medians differ by more than the metric's threshold.
public struct WeekOverWeek: Sendable {
    public static let alpha = 0.05

    public struct Row: Sendable {
        public var unit: String
        public var cell: String
        public var cellLabel: String
        /// Per-run medians, oldest first.
        public var previous: [Double]
        public var current: [Double]
        public var previousMedian: Double
        public var currentMedian: Double
        /// current / previous − 1.
        public var delta: Double
        /// nil when the test cannot be computed (all values equal); then there is no change.
        public var p: Double?
        public var threshold: Double

        public var isChange: Bool { (p ?? 1) <= WeekOverWeek.alpha && abs(delta) > threshold }
        public var isRegression: Bool {
            isChange && (MetricDirection(unit: unit) == .higherIsBetter ? delta < 0 : delta > 0)
        }
    }

    public var rows: [Row]
    public var regressions: [Row] { rows.filter(\.isRegression) }
    public var improvements: [Row] { rows.filter { $0.isChange && !$0.isRegression } }

    init(series: WeeklySeries, previousRuns: Set<Int>, currentRuns: Set<Int>) {
        var rows: [Row] = []
        for unit in series.keyUnits {
            for (name, label) in series.cells {
                let points = (series.points[unit]?[name] ?? []).filter { !$0.isOutlier }
                let previous = points.filter { previousRuns.contains($0.runIndex) }.map(\.median)
                let current = points.filter { currentRuns.contains($0.runIndex) }.map(\.median)
                guard !previous.isEmpty, !current.isEmpty else { continue }
                let pm = RobustStatistics.median(previous), cm = RobustStatistics.median(current)
                let p = try? MannWhitneyU(previous, current).p
                rows.append(Row(unit: unit, cell: name, cellLabel: label, previous: previous, current: current,
                                previousMedian: pm, currentMedian: cm, delta: pm == 0 ? 0 : cm / pm - 1,
                                p: p.map { min($0, 1) }, threshold: series.threshold(unit)))
            }
        }
        self.rows = rows
    }

    /// `+3.10% p=0.007 n=7+7`, `~ p=0.535 n=7+7`: the change if there is one, else `~`.
    public static func verdictText(_ r: Row) -> String {
        let p = r.p.map { "p=" + GoFloatFormat.fixed($0, 3) } ?? "p=1 (all equal)"
        let change = r.isChange ? GoFloatFormat.signedFixed(r.delta * 100, 2) + "%" : "~"
        return "\(change) \(p) n=\(r.previous.count)+\(r.current.count)"
    }
}
