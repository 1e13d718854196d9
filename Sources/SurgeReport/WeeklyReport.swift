import Foundation
import SurgeCompare
import SurgeResults
import SurgeStats

/// The weekly page: for each scenario (and host fingerprint: runs of different machines are never
/// mixed) and key metric, the trend of per-run medians, this week against the previous week
/// (`WeekOverWeek`: per-run medians, n = runs), the steps, drifts and spread changes
/// `ChangeDetector` finds in each cell's series with the range of commits in which each came,
/// and the runs whose cells failed.
///
/// Key metrics: those the scenario sets a threshold for; without thresholds, its throughput metrics
/// and `p99-ns`. A step or drift counts when it is significant and its 95% interval reaches the
/// metric's threshold (5% when the scenario sets none).
public struct WeeklyReport: Sendable {
    public static let defaultShiftThreshold = 0.05

    public var now: Date
    public var week: TimeInterval
    public var detector: ChangeDetector
    public var series: [WeeklySeries]
    public var charts: [ChartSpec]

    public var findings: [TrendFinding] { series.flatMap(\.findings) }
    public var regressions: [TrendFinding] { findings.filter { $0.kind != .spread && $0.isRegression } }
    public var improvements: [TrendFinding] { findings.filter { $0.kind != .spread && !$0.isRegression } }
    public var spreadChanges: [TrendFinding] { findings.filter { $0.kind == .spread } }
    public var failedRuns: [RunResult] {
        series.flatMap(\.runs).filter {
            $0.startedAt >= now.addingTimeInterval(-week) && ($0.cells.contains { $0.status == .failed } || $0.status != .complete)
        }
    }

    public init(runs: [RunResult], now: Date = Date(), week: TimeInterval = 7 * 86400, detector: ChangeDetector = ChangeDetector()) {
        self.now = now
        self.week = week
        self.detector = detector
        let groups = Dictionary(grouping: runs) { "\($0.scenario.name)\u{1}\($0.host.fingerprint)" }
        series = groups.values.map { WeeklySeries(runs: $0, now: now, week: week, detector: detector) }
            .sorted { ($0.scenario, $0.fingerprint) < ($1.scenario, $1.fingerprint) }
        charts = series.enumerated().flatMap { i, s in WeeklyCharts.trends(s, index: i) }
    }
}

/// A step, drift or spread change of one metric of one cell.
public struct TrendFinding: Sendable {
    public var scenario: String
    public var fingerprint: String
    public var cell: String
    public var cellLabel: String
    public var unit: String
    public var change: ChangeDetector.Change
    public var threshold: Double
    /// Step and spread: the first run at the new level. Drift: the first run of the window.
    public var firstAtNewLevel: RunResult
    /// The last run surely before the change (nil: it may have come with the first run) and the
    /// first run surely after it: the culprit is in `lastSurelyBefore.commit..firstSurelyAfter.commit`.
    public var lastSurelyBefore: RunResult?
    public var firstSurelyAfter: RunResult

    public var kind: ChangeDetector.Kind { change.kind }

    public var isRegression: Bool {
        MetricDirection(unit: unit) == .higherIsBetter ? change.shift.estimate < 0 : change.shift.estimate > 0
    }

    static func commit(_ r: RunResult?) -> String {
        guard let r else { return "unknown" }
        return r.source.map { String($0.commit.prefix(12)) + ($0.dirty ? "+dirty" : "") } ?? "unknown"
    }

    /// `abc123..def456` (git's range syntax: commits after the first, up to the second).
    public var commitRange: String { "\(Self.commit(lastSurelyBefore))..\(Self.commit(firstSurelyAfter))" }

    /// `run-37 … run-41`: the runs between which the change came.
    public var runRange: String { "\(lastSurelyBefore?.runID ?? "(start)") … \(firstSurelyAfter.runID)" }
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
    /// unit → cell → run indices set aside as outliers by the detector.
    public var outliers: [String: [String: Set<Int>]]
    /// This week against the previous one; nil when either week has no run.
    public var weekOverWeek: WeekOverWeek?
    public var thisWeekRuns: Int
    public var previousWeekRuns: Int

    init(runs: [RunResult], now: Date, week: TimeInterval, detector: ChangeDetector) {
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
        for r in runs {
            for c in r.cells {
                for s in c.samples { measured.formUnion(s.metrics.keys) }
            }
        }
        var key = MetricFormat.ordered(thresholds.keys.filter(measured.contains))
        if key.isEmpty { key = MetricFormat.ordered(measured.filter { MetricFormat.throughputUnits.contains($0) || $0 == "p99-ns" }) }
        keyUnits = key

        // Only the key metrics are summarised, on every core: a year of runs is ~20k cells.
        let keySet = Set(key)
        let digests = EveryCore.map(runs.count) { [runs] i in
            runs[i].cells.map { CellDigest(cell: $0, spectrum: false, units: keySet) }
        }
        for ds in digests {
            for digest in ds where !cells.contains(where: { $0.0 == digest.name }) {
                cells.append((digest.name, digest.label))
            }
        }
        self.cells = cells

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

        // Each (metric, cell) series is analysed on its own; over a year of a 50-cell scenario that is
        // most of the report's arithmetic, so the analyses run on every core and are taken in order.
        var jobs: [(unit: String, name: String, label: String, limit: Double, series: [TrendPoint])] = []
        for unit in key {
            let limit = thresholds[unit] ?? WeeklyReport.defaultShiftThreshold
            for (name, label) in cells {
                guard let series = points[unit]?[name], series.count >= 2 * detector.minimumSegment else { continue }
                jobs.append((unit, name, label, limit, series))
            }
        }
        let analyses = EveryCore.map(jobs.count) { [jobs] j in
            let series = jobs[j].series
            return detector.analyze(series.map(\.median), days: series.map { $0.time.timeIntervalSince1970 / 86400 },
                                    threshold: jobs[j].limit)
        }
        var findings: [TrendFinding] = []
        var outliers: [String: [String: Set<Int>]] = [:]
        for (job, analysis) in zip(jobs, analyses) {
            let (unit, name, label, limit, series) = job
            outliers[unit, default: [:]][name] = Set(analysis.outliers.map { series[$0].runIndex })
            for i in analysis.outliers { points[unit]?[name]?[i].isOutlier = true }
            for change in analysis.findings {
                // A drift runs over the whole window: its range is the window's first commit to its last.
                let lower = change.kind == .drift ? change.location.lowerBound + 1 : change.location.lowerBound
                let before = lower > 0 ? runs[series[lower - 1].runIndex] : nil
                findings.append(TrendFinding(scenario: scenario, fingerprint: fingerprint, cell: name, cellLabel: label, unit: unit,
                                             change: change, threshold: change.kind == .spread ? detector.spreadThreshold : limit,
                                             firstAtNewLevel: runs[series[change.index].runIndex], lastSurelyBefore: before,
                                             firstSurelyAfter: runs[series[change.location.upperBound].runIndex]))
            }
        }
        self.points = points
        self.findings = findings
        self.outliers = outliers

        let current = Set(runs.indices.filter { runs[$0].startedAt >= now.addingTimeInterval(-week) && runs[$0].startedAt <= now })
        let previous = Set(runs.indices.filter {
            runs[$0].startedAt >= now.addingTimeInterval(-2 * week) && runs[$0].startedAt < now.addingTimeInterval(-week)
        })
        thisWeekRuns = current.count
        previousWeekRuns = previous.count
        weekOverWeek = nil
        if !current.isEmpty && !previous.isEmpty {
            weekOverWeek = WeekOverWeek(series: self, previousRuns: previous, currentRuns: current)
        }
    }

    /// The relative change that matters for `unit` (the scenario's threshold, else 5%).
    public func threshold(_ unit: String) -> Double { thresholds[unit] ?? WeeklyReport.defaultShiftThreshold }

    public func label(ofCell name: String) -> String { cells.first { $0.name == name }?.label ?? name }
}

/// One run's median (and interval) of one metric of one cell.
public struct TrendPoint: Sendable {
    public var runIndex: Int
    public var time: Date
    public var median: Double
    public var lo: Double
    public var hi: Double
    /// Set aside by the change detector (marked on the chart, left out of week over week).
    public var isOutlier = false
}
