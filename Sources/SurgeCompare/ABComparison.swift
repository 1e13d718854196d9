import Foundation
import SurgeResults
import SurgeStats

/// One cell's metric in a `surge ab`: the values of each round on both sides, their paired ratio
/// and the gate's finding.
public struct ABMetricComparison: Sendable {
    /// The gate's row (the benchmark name without `Benchmark`, as `surge compare` names rows).
    public var row: String
    /// The cell's name in the result files.
    public var cell: String
    /// The metric as the result files name it (`msgs/s`, `syscalls/op`).
    public var metric: String
    /// Values per round, round 1 first, paired by round.
    public var a: [Double]
    public var b: [Double]
    /// Nil when a round has no ratio (a zero on one side).
    public var paired: PairedRatio?
    public var finding: GateFinding
    /// Where the ratio's interval lies against the threshold (gated metrics only).
    public var band: PairedRatio.Band?
}

/// The verdict of a `surge ab`: per cell and metric a paired ratio B/A with its interval (see
/// `PairedRatio`), judged by the same `RegressionGate` as `surge compare` — same thresholds and
/// precedence (`--threshold`, calibration, scenario, workload defaults), directions, derived
/// metrics counted once, figures by different methods not compared.
public struct ABComparison: Sendable {
    public var entries: [ABMetricComparison]
    public var gate: RegressionGate
    public var status: ComparisonOutcome.Status
    /// `surge ab: OK: …`, `surge ab: REGRESSION: …`.
    public var verdict: String
    public var warnings: [String]
    public var confidence: Double
    public var alpha: Double

    public var findings: [GateFinding] { entries.map(\.finding) }
    public var regressions: [ABMetricComparison] { entries.filter(\.finding.isRegression) }

    /// Rows with a gated metric whose interval still straddles a band edge.
    public var undecidedRows: Set<String> {
        Set(entries.filter { $0.finding.isGated && $0.band != .inside && $0.band != .outside }.map(\.row))
    }

    /// Compares side A (`a`) with side B (`b`), pairing samples by round (speed-pass repetition).
    public static func compare(a: RunResult, b: RunResult, _ request: ComparisonRequest) throws(CompareInputError)
        -> ABComparison
    {
        var request = request
        if request.calibration == nil, let directory = request.calibrationDirectory {
            let stem =
                request.calibrationName
                ?? ((a.scenario.file as NSString).lastPathComponent as NSString).deletingPathExtension
            let path = "\(directory)/\(stem).thresholds.yaml"
            if !stem.isEmpty, FileManager.default.fileExists(atPath: path) {
                request.calibration = try Calibration.read(path: path)
                request.calibrationPath = path
            }
        }
        let settings = try RegressionGate.settings(from: [a, b])
        let gate = RegressionGate(
            commandLine: request.thresholds, scenario: settings.scenario, keyMetrics: settings.keyMetrics,
            calibration: request.calibration)
        let alpha = request.options.alpha
        let confidence = request.options.confidence
        var entries: [ABMetricComparison] = []
        var warnings: [String] = []
        for cellA in a.cells {
            guard let cellB = b.cells.first(where: { $0.name == cellA.name }) else {
                warnings.append("\(cellA.name): only in A")
                continue
            }
            guard Self.comparable(cellA, in: a), Self.comparable(cellB, in: b) else {
                warnings.append("\(cellA.name): not compared (A \(cellA.status.rawValue), B \(cellB.status.rawValue))")
                continue
            }
            if cellA.status != .ok || cellB.status != .ok {
                warnings.append("\(cellA.name): the run was interrupted; compared over its complete rounds")
            }
            let roundsA = Dictionary(cellA.samples.filter { $0.pass == "speed" }.map { ($0.repetition, $0) }) { x, _ in
                x
            }
            let roundsB = Dictionary(cellB.samples.filter { $0.pass == "speed" }.map { ($0.repetition, $0) }) { x, _ in
                x
            }
            let rounds = Set(roundsA.keys).intersection(roundsB.keys).sorted()
            if rounds.count < roundsA.count || rounds.count < roundsB.count {
                warnings.append("\(cellA.name): \(rounds.count) complete rounds (unpaired samples left out)")
            }
            guard !rounds.isEmpty else { continue }
            let names = rounds.reduce(into: Set(roundsA[rounds[0]]!.metrics.keys)) { set, r in
                set.formIntersection(roundsA[r]!.metrics.keys)
                set.formIntersection(roundsB[r]!.metrics.keys)
            }
            let row = RunResultRecords.benchmarkName(cellA)
            for name in names.sorted() {
                let va = rounds.map { roundsA[$0]!.metrics[name]! }
                let vb = rounds.map { roundsB[$0]!.metrics[name]! }
                let metric = Metric.named(name, siblings: names)
                let methodA = cellA.method(of: name, run: a)
                let methodB = cellB.method(of: name, run: b)
                var mismatch: String?
                if let methodA, let methodB, methodA != methodB { mismatch = "\(methodA) vs \(methodB)" }
                let paired = PairedRatio(a: va, b: vb, confidence: confidence)
                if paired == nil && mismatch == nil { mismatch = "no ratio: a round measured 0 on one side only" }
                let finding = gate.judge(
                    row: row, metric: metric, ratio: paired?.ratio ?? 1, p: paired?.p ?? 1, alpha: alpha,
                    rounds: rounds.count, methodMismatch: mismatch)
                let band = finding.threshold.flatMap { t in paired.map { $0.band(threshold: t) } }
                entries.append(
                    ABMetricComparison(
                        row: row, cell: cellA.name, metric: name, a: va, b: vb, paired: paired, finding: finding,
                        band: band))
            }
        }
        for cellB in b.cells where !a.cells.contains(where: { $0.name == cellB.name }) {
            warnings.append("\(cellB.name): only in B")
        }
        if entries.isEmpty {
            throw CompareInputError("nothing compared: no cell has a complete A/B round on both sides")
        }
        let findings = entries.map(\.finding)
        warnings += NoiseWarnings.sentences(findings, gate: gate, calibrationPath: request.calibrationPath)
        warnings += ComparisonPipeline.notComparableSummary(findings)
        let unbounded = Set(entries.filter { $0.finding.isGated && $0.paired?.isBounded == false }.map(\.row))
        if !unbounded.isEmpty {
            warnings.append(
                "too few rounds for a \(GoFloatFormat.shortest(confidence * 100))% interval in \(unbounded.count) cell(s): "
                    + "the signed-rank interval needs at least 6 rounds at 95%")
        }
        var verdict = RegressionGate.verdictLine(findings)
        if verdict.hasPrefix("surge compare:") { verdict = "surge ab:" + verdict.dropFirst("surge compare:".count) }
        let status: ComparisonOutcome.Status = findings.contains(where: \.isRegression) ? .regression : .ok
        return ABComparison(
            entries: entries, gate: gate, status: status, verdict: verdict, warnings: warnings, confidence: confidence,
            alpha: alpha)
    }
}

extension ABComparison {
    /// Whether a cell's rounds can be compared: it ran to the end, or only the run's interruption
    /// (Ctrl-C, SIGTERM, a CI job's timeout) cut it short, so its complete rounds are measurements
    /// like any other and are not thrown away. A cell that failed for any other reason is not compared.
    static func comparable(_ cell: CellResult, in run: RunResult) -> Bool {
        if cell.status == .ok { return true }
        return run.status == .interrupted && cell.status == .failed
            && (cell.reason ?? "").hasPrefix(CellResult.interruptedReasonPrefix)
    }
}

extension RegressionGate {
    /// The gate's finding for a paired A/B ratio: the same thresholds, directions, derived-metric and
    /// method rules as for `compare`, the change being `ratio − 1` and its significance the
    /// signed-rank test's `p ≤ alpha`.
    public func judge(
        row: String, metric: Metric, ratio: Double, p: Double, alpha: Double, rounds: Int, methodMismatch: String?
    ) -> GateFinding {
        let comparison = CellComparison(
            p: p, n1: rounds, n2: rounds, alpha: alpha, baselineCenter: 1, center: ratio, warnings: [],
            methodMismatch: methodMismatch)
        return finding(table: 0, row: row, column: "B", unit: metric.name, metric: metric, comparison: comparison)
    }
}
