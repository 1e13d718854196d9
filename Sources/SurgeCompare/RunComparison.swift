import Foundation
import SurgeResults
import SurgeStats

/// A run compared with a baseline run through `ComparisonPipeline` (the engine and gate of
/// `surge compare`): benchstat's tables, one per metric, with deltas, p-values and the gate's finding
/// per cell. Reports render it.
public struct RunComparison: Sendable {
    public var baselineLabel: String
    public var runLabel: String
    public var outcome: ComparisonOutcome

    public var tables: ComparisonTables { outcome.tables }
    public var findings: [GateFinding] { outcome.findings }
    public var verdict: String { outcome.verdict }
    /// Problems a reader must know before trusting the deltas (other host, other scenario, noise).
    public var warnings: [String] { outcome.warnings }
    public var lacksPower: Bool { outcome.lacksPower }
    public var gate: RegressionGate { outcome.gate }
    public var regressions: [GateFinding] { outcome.regressions }
    public var improvements: [GateFinding] { outcome.improvements }

    /// Exit status `surge compare` would give: 2 with a regression, 3 not comparable, 0 otherwise.
    public var exitStatus: Int32 {
        switch outcome.status {
        case .ok: return 0
        case .regression: return 2
        case .notComparable: return 3
        }
    }

    public init(
        baseline: RunResult, baselineLabel: String = "baseline", run: RunResult, runLabel: String = "this run",
        request: ComparisonRequest = ComparisonRequest()
    ) throws(CompareInputError) {
        var request = request
        // A report compares against a baseline it was given on purpose: another host warns.
        request.viaBaseline = true
        try self.init(
            baseline: [baseline], baselineLabel: baselineLabel, runs: [run], runLabel: runLabel, request: request)
    }

    /// Several runs per side (each repetition of each run is one value, as benchstat pools files
    /// given for one column); `units`, when set, keeps only those metrics (as result files name them).
    public init(
        baseline: [RunResult], baselineLabel: String, runs: [RunResult], runLabel: String, units: Set<String>? = nil,
        request: ComparisonRequest = ComparisonRequest()
    ) throws(CompareInputError) {
        self.baselineLabel = baselineLabel
        self.runLabel = runLabel
        let labelled = baseline.map { (label: baselineLabel, run: $0) } + runs.map { (label: runLabel, run: $0) }
        var request = request
        if baseline.count + runs.count > 2 { request.allowMismatch = true }
        outcome = try ComparisonPipeline.compare(runs: labelled, request, keeping: units)
    }

    /// The gate's finding for a table row, if that cell was compared.
    public func finding(table: Int, row: String) -> GateFinding? {
        findings.first { $0.table == table && $0.row == row }
    }
}
