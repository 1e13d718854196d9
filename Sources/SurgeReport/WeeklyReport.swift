import SurgeCompare
import Foundation
import SurgeResults
import SurgeStats

/// The weekly page: for each scenario (and host fingerprint: runs of different machines are never
/// mixed) and key metric, the trend of per-run medians, this week against the previous week
/// (Mann-Whitney U through `surge compare`'s engine and gate, the scenario's thresholds), level
/// shifts found by `ChangePointDetector` with the commit range in which each appeared, and the runs
/// whose cells failed.
///
/// Key metrics: those the scenario sets a threshold for; without thresholds, its throughput metrics
/// and `p99-ns`. A level shift counts when it is significant (p ≤ 0.05) and larger than the metric's
/// threshold (5% when the scenario sets none).
public struct WeeklyReport: Sendable {
    public static let defaultShiftThreshold = 0.05

    public var now: Date
    public var week: TimeInterval
    public var series: [WeeklySeries]
    public var charts: [ChartSpec]

    public var regressions: [TrendFinding] { series.flatMap(\.findings).filter { $0.isRegression } }
    public var improvements: [TrendFinding] { series.flatMap(\.findings).filter { !$0.isRegression } }
    public var failedRuns: [RunResult] { series.flatMap(\.runs).filter { $0.startedAt >= now.addingTimeInterval(-week) && ($0.cells.contains { $0.status == .failed } || $0.status != .complete) } }

    public init(runs: [RunResult], now: Date = Date(), week: TimeInterval = 7 * 86400, detector: ChangePointDetector = ChangePointDetector()) {
        self.now = now
        self.week = week
        let groups = Dictionary(grouping: runs) { "\($0.scenario.name)\u{1}\($0.host.fingerprint)" }
        series = groups.values.map { WeeklySeries(runs: $0, now: now, week: week, detector: detector) }
            .sorted { ($0.scenario, $0.fingerprint) < ($1.scenario, $1.fingerprint) }
        charts = series.enumerated().flatMap { i, s in WeeklyCharts.trends(s, index: i) }
    }
}

/// A level shift of one metric of one cell, located between two runs.
public struct TrendFinding: Sendable {
    public var scenario: String
    public var cell: String
    public var cellLabel: String
    public var unit: String
    public var change: ChangePointDetector.ChangePoint
    public var threshold: Double
    /// The last run at the old level and the first at the new one: the change came in
    /// `lastBefore.commit..firstAfter.commit`.
    public var lastBefore: RunResult
    public var firstAfter: RunResult

    public var isRegression: Bool {
        MetricDirection(unit: unit) == .higherIsBetter ? change.relativeShift < 0 : change.relativeShift > 0
    }

    /// `abc123..def456` (git's range syntax: commits after the first, up to the second).
    public var commitRange: String {
        func c(_ r: RunResult) -> String { r.source.map { String($0.commit.prefix(12)) + ($0.dirty ? "+dirty" : "") } ?? "unknown" }
        return "\(c(lastBefore))..\(c(firstAfter))"
    }
}

/// The runs of one scenario on one host, and what the weekly report found in them.
public struct WeeklySeries: Sendable {
    public var scenario: String
    public var fingerprint: String
    /// Oldest first.
    public var runs: [RunResult]
    public var keyUnits: [String]
    public var thresholds: [String: Double]
    /// Cell name → label, in first-seen order.
    public var cells: [(name: String, label: String)]
    /// unit → cell → per-run points (runs where the cell was ok and measured the unit).
    public var points: [String: [String: [TrendPoint]]]
    public var findings: [TrendFinding]
    /// This week against the previous one; nil when either week has no run.
    public var weekOverWeek: RunComparison?
    public var thisWeekRuns: Int
    public var previousWeekRuns: Int

    init(runs: [RunResult], now: Date, week: TimeInterval, detector: ChangePointDetector) {
        let runs = runs.sorted { $0.startedAt < $1.startedAt }
        self.runs = runs
        scenario = runs.first?.scenario.name ?? ""
        fingerprint = runs.first?.host.fingerprint ?? ""
        let latest = runs.last
        var thresholds: [String: Double] = [:]
        for (unit, text) in latest?.scenario.thresholds ?? [:] {
            if let v = try? MetricThreshold.parseAmount(text, context: unit) { thresholds[unit] = v }
        }
        self.thresholds = thresholds
        var measured = Set<String>()
        var cells: [(String, String)] = []
        var digests: [[CellDigest]] = []
        for r in runs {
            let ds = r.cells.map { CellDigest(cell: $0, spectrum: false) }
            digests.append(ds)
            for (c, digest) in zip(r.cells, ds) {
                if !cells.contains(where: { $0.0 == digest.name }) { cells.append((digest.name, digest.label)) }
                for s in c.samples { measured.formUnion(s.metrics.keys) }
            }
        }
        self.cells = cells
        var key = MetricFormat.ordered(thresholds.keys.filter(measured.contains))
        if key.isEmpty { key = MetricFormat.ordered(measured.filter { MetricFormat.throughputUnits.contains($0) || $0 == "p99-ns" }) }
        keyUnits = key

        var points: [String: [String: [TrendPoint]]] = [:]
        for (ri, r) in runs.enumerated() {
            for digest in digests[ri] where digest.status == .ok {
                for unit in key {
                    guard let s = digest.summaries[unit] else { continue }
                    let w = RunCharts.whiskers(s, values: digest.values[unit] ?? [])
                    points[unit, default: [:]][digest.name, default: []].append(TrendPoint(runIndex: ri, time: r.startedAt, median: s.center, lo: w.lo, hi: w.hi))
                }
            }
        }
        self.points = points

        var findings: [TrendFinding] = []
        for unit in key {
            let limit = thresholds[unit] ?? WeeklyReport.defaultShiftThreshold
            for (name, label) in cells {
                guard let series = points[unit]?[name], series.count >= 2 * detector.minimumSegment else { continue }
                for cp in detector.detect(series.map(\.median)) where abs(cp.relativeShift) > limit {
                    findings.append(TrendFinding(scenario: scenario, cell: name, cellLabel: label, unit: unit, change: cp, threshold: limit,
                                                 lastBefore: runs[series[cp.index - 1].runIndex], firstAfter: runs[series[cp.index].runIndex]))
                }
            }
        }
        self.findings = findings

        let thisWeek = runs.filter { $0.startedAt >= now.addingTimeInterval(-week) && $0.startedAt <= now }
        let previous = runs.filter { $0.startedAt >= now.addingTimeInterval(-2 * week) && $0.startedAt < now.addingTimeInterval(-week) }
        thisWeekRuns = thisWeek.count
        previousWeekRuns = previous.count
        if !thisWeek.isEmpty && !previous.isEmpty {
            weekOverWeek = try? RunComparison(baseline: previous, baselineLabel: "previous week", runs: thisWeek, runLabel: "this week", units: Set(key))
        } else {
            weekOverWeek = nil
        }
    }

    public func label(ofCell name: String) -> String { cells.first { $0.name == name }?.label ?? name }
}

/// One run's median (and interval) of one metric of one cell.
public struct TrendPoint: Sendable {
    public var runIndex: Int
    public var time: Date
    public var median: Double
    public var lo: Double
    public var hi: Double
}
