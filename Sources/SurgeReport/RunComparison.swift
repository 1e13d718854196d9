import Foundation
import SurgeResults
import SurgeStats

/// A run compared with a baseline run by the same engine and gate as `surge compare`
/// (`ComparisonBuilder`, `RegressionGate`): benchstat's tables, one per metric, with deltas,
/// p-values and a verdict per cell against the scenario's thresholds.
public struct RunComparison: Sendable {
    public var baselineLabel: String
    public var runLabel: String
    public var tables: ComparisonTables
    public var findings: [GateFinding]
    public var thresholds: [MetricThreshold]
    public var verdict: String
    /// Problems a reader must know before trusting the deltas (other host, other scenario).
    public var warnings: [String]
    /// Some comparisons had too few values for Mann-Whitney U to reach significance at all.
    public var lacksPower: Bool = false

    public var regressions: [GateFinding] { findings.filter { $0.verdict == .regression } }
    public var improvements: [GateFinding] { findings.filter { $0.verdict == .improvement } }

    /// Exit status `surge compare` would give: 2 with a regression, 0 without.
    public var exitStatus: Int32 { regressions.isEmpty ? 0 : 2 }

    public init(baseline: RunResult, baselineLabel: String = "baseline", run: RunResult, runLabel: String = "this run",
                extraThresholds: [MetricThreshold] = [], alpha: Double = 0.05, confidence: Double = 0.95) throws(CompareInputError) {
        try self.init(baseline: [baseline], baselineLabel: baselineLabel, runs: [run], runLabel: runLabel,
                      extraThresholds: extraThresholds, alpha: alpha, confidence: confidence)
        if baseline.scenario.name != run.scenario.name {
            warnings.insert("the baseline is scenario '\(baseline.scenario.name)', this run is '\(run.scenario.name)'", at: 0)
        }
        if baseline.host.fingerprint != run.host.fingerprint {
            warnings.insert("host fingerprints differ: baseline \(baseline.host.fingerprint); this run \(run.host.fingerprint)", at: 0)
        }
    }

    /// Several runs per side (each repetition of each run is one value, as benchstat pools files
    /// given for one column); `units`, when set, keeps only those metrics (as result files name them).
    public init(baseline: [RunResult], baselineLabel: String, runs: [RunResult], runLabel: String, units: Set<String>? = nil,
                extraThresholds: [MetricThreshold] = [], alpha: Double = 0.05, confidence: Double = 0.95) throws(CompareInputError) {
        self.baselineLabel = baselineLabel
        self.runLabel = runLabel
        var options = CompareOptions()
        options.alpha = alpha
        options.confidence = confidence
        let builder: ComparisonBuilder
        do {
            builder = try ComparisonBuilder(options: options)
        } catch {
            throw CompareInputError("\(error)")
        }
        var exact: Set<String> = []
        var thresholds: [MetricThreshold] = []
        for (label, group) in [(baselineLabel, baseline), (runLabel, runs)] {
            for r in group {
                thresholds += try RegressionGate.thresholds(from: r)
                var records = RunResultRecords.records(r, label: label)
                if let units {
                    records = records.compactMap { rec in
                        var rec = rec
                        rec.values = rec.values.filter { units.contains($0.originalUnit) }
                        return rec.values.isEmpty ? nil : rec
                    }
                }
                for record in records { for v in record.values where MetricKind.isExact(v.originalUnit) { exact.insert(v.unit) } }
                builder.add(records)
            }
        }
        builder.exactUnits = exact
        tables = builder.build()
        self.thresholds = thresholds + extraThresholds
        findings = RegressionGate(thresholds: self.thresholds).evaluate(tables)
        verdict = RegressionGate.verdictLine(findings)
        warnings = []
        if tables.isEmpty {
            warnings.append("no metric of a cell is present on both sides, so nothing was compared")
        }
        var power = Set<String>()
        for table in tables.tables {
            for row in table.cells { for cell in row { for w in cell?.comparison?.warnings ?? [] where w.hasPrefix("need") { power.insert(w) } } }
        }
        lacksPower = !power.isEmpty
        if lacksPower {
            warnings.append("too few repetitions to call a change significant: " + power.sorted().joined(separator: "; ")
                            + ". A '~' here means 'not measurable', not 'unchanged'; run more repetitions (the scenario's default is 6)")
        }
    }

    /// The gate's finding for a table row, if that cell was compared.
    public func finding(table: Int, row: String) -> GateFinding? {
        findings.first { $0.table == table && $0.row == row }
    }

    /// The threshold the gate applied to a (tidied) unit.
    public func threshold(for unit: String) -> Double {
        RegressionGate(thresholds: thresholds).threshold(for: unit)
    }
}
