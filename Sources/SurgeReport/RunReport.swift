import Foundation
import SurgeCompare
import SurgeResults
import SurgeStats

/// Everything a run report shows, built once and rendered twice (HTML and markdown): run metadata,
/// per-cell summaries, the comparison with a baseline (by `surge compare`'s engine and gate), failed
/// cells and chart definitions.
public struct RunReport: Sendable {
    public var digest: RunDigest
    /// The result file the figures come from.
    public var runPath: String?
    public var baseline: RunDigest?
    public var baselinePath: String?
    public var comparison: RunComparison?
    public var charts: [ChartSpec]
    /// Differential profiles of the cells that changed significantly (`attachProfileDiffs`).
    public var profileDiffs: [CellProfileDiff] = []
    /// The cells grouped by workload kind, key metrics first.
    public var cellTables: CellTables
    /// Metric → how it prints on this page (one unit per duration or byte metric for the whole page).
    public var scales: [String: ColumnScale]

    public var run: RunResult { digest.run }

    /// `request` carries the gate's settings (thresholds, calibration) as `surge compare` takes them.
    public init(run: RunResult, runPath: String?, baseline: RunResult? = nil, baselinePath: String? = nil,
                request: ComparisonRequest = ComparisonRequest()) throws(CompareInputError) {
        digest = RunDigest(run)
        cellTables = CellTables(digest)
        var centers: [String: [Double]] = [:]
        for c in digest.okCells { for (u, s) in c.summaries { centers[u, default: []].append(s.center) } }
        scales = Dictionary(uniqueKeysWithValues: centers.map { ($0.key, ColumnScale(metric: $0.key, values: $0.value)) })
        self.runPath = runPath
        self.baselinePath = baselinePath
        if let baseline {
            let b = RunDigest(baseline)
            self.baseline = b
            comparison = try RunComparison(baseline: baseline, baselineLabel: "baseline", run: run, runLabel: "this run", request: request)
        }
        charts = RunCharts.all(digest, baseline: baseline.map { RunDigest($0) })
    }

    /// The cells whose throughput compares: closed-loop cells (no `rate:`; a fixed rate measures the
    /// rate it was given) of the workload kind of the run's first throughput metric's best cell. Cells of
    /// different kinds (a pub/sub flood against a mesh churn) do not compare, so they are left out.
    private var throughputPeers: (unit: String, cells: [(CellDigest, Double)])? {
        guard let unit = digest.primaryThroughputUnits.first else { return nil }
        let open = digest.okCells.compactMap { c in c.offeredRate == nil ? c.summaries[unit].map { (c, $0.center) } : nil }
        guard let best = open.max(by: { $0.1 < $1.1 }) else { return nil }
        return (unit, open.filter { $0.0.workloadKind == best.0.workloadKind })
    }

    /// The workload kind the fastest and slowest cell are chosen among, when the run has several kinds.
    public var throughputPeerKind: String? {
        let kinds = Set(digest.okCells.compactMap(\.workloadKind))
        return kinds.count > 1 ? fastestCell?.cell.workloadKind : nil
    }

    /// The closed-loop cell with the highest median of the run's first throughput metric, and that median.
    public var fastestCell: (cell: CellDigest, unit: String, median: Double)? {
        guard let peers = throughputPeers, let best = peers.cells.max(by: { $0.1 < $1.1 }) else { return nil }
        return (best.0, peers.unit, best.1)
    }

    /// The slowest cell among the fastest one's peers (`throughputPeers`).
    public var slowestCell: (cell: CellDigest, unit: String, median: Double)? {
        guard let peers = throughputPeers, let worst = peers.cells.min(by: { $0.1 < $1.1 }) else { return nil }
        return (worst.0, peers.unit, worst.1)
    }

    public var failedCells: [CellDigest] { digest.cells.filter { $0.status != .ok } }

    /// What was measured where, and how noisy it was: the top of both pages.
    public var header: RunHeader { RunHeader(self) }

    /// How `metric` prints on this page (a scale fitted to `values` for a metric no cell of the run has).
    public func scale(_ metric: String, values: [Double] = []) -> ColumnScale {
        scales[Metric.canonicalName(metric)] ?? ColumnScale(metric: Metric.canonicalName(metric), values: values)
    }

    /// Sentences for the top of the report: fastest and slowest cell, regressions, failures.
    public var headline: [String] {
        var lines: [String] = []
        if let f = fastestCell {
            let format = self.scale(f.unit)
            let kind = throughputPeerKind.map { " of the closed-loop \($0) cells" } ?? ""
            var line = "Fastest cell\(kind): \(f.cell.label) at \(format.text(f.median)) (median)"
            if let s = slowestCell, s.cell.name != f.cell.name, s.median > 0 {
                line += "; slowest: \(s.cell.label) at \(format.text(s.median)), "
                    + "\(GoFloatFormat.fixed(f.median / s.median, 2))× slower"
            }
            lines.append(line + ".")
        }
        if let comparison {
            let r = comparison.regressions
            let i = comparison.improvements
            let gated = comparison.findings.filter(\.isGated).count
            if r.isEmpty && comparison.lacksPower {
                lines.append("No significant change against the baseline, but the runs have too few repetitions for the test to detect one: the comparison is inconclusive.")
            } else if r.isEmpty {
                lines.append("No regression against the baseline beyond its threshold (\(gated) gated comparisons, \(i.count) improved).")
            } else {
                lines.append("\(r.count) regression\(r.count == 1 ? "" : "s") against the baseline beyond threshold (\(gated) gated comparisons, \(i.count) improved).")
            }
        }
        let failed = failedCells
        if !failed.isEmpty {
            lines.append("\(failed.count) of \(digest.cells.count) cells did not finish: " + failed.prefix(3).map { "\($0.label) (\($0.status.rawValue))" }.joined(separator: ", ") + (failed.count > 3 ? ", …" : "") + ".")
        }
        return lines
    }

    /// One line per regression: `publishers=1 … msgs/s −12.30% (threshold 3%, p=0.002)`.
    public func findingText(_ f: GateFinding) -> String {
        let change = f.change.map { $0.isFinite ? GoFloatFormat.signedFixed($0 * 100, 2) + "%" : "from 0" } ?? "?"
        let p = f.p == 0 ? "exact count" : "p=\(GoFloatFormat.fixed(f.p, 3))"
        let limit = GoFloatFormat.shortest(((f.threshold ?? 0) * 1000).rounded() / 10)
        return "\(cellLabel(row: f.row)) \(Metric.canonicalName(f.unit)) \(change) (threshold \(limit)% \(f.thresholdSource?.rawValue ?? ""), \(p))"
    }

    /// A comparison row label (benchmark name) as the cell's parameters.
    public func cellLabel(row: String) -> String {
        digest.cell(named: row)?.label ?? row
    }

    /// The rest of the run's record (the header has host, load, commit and probes), for the bottom of
    /// both pages: target, scenario file, cells, result file, baseline, gate.
    public var metadata: [(String, String)] {
        let r = run
        var rows: [(String, String)] = []
        var target = r.target.kind
        if let c = r.target.component { target += " \(c)" }
        if let cmd = r.target.command { target += ": " + cmd.joined(separator: " ") }
        if let v = r.target.version { target += " (version \(v))" }
        rows.append(("Target", target))
        rows.append(("Scenario file", "\(r.scenario.file) (sha256 \(r.scenario.sha256.prefix(12)))"))
        rows.append(("Host fingerprint", r.host.fingerprint))
        if !digest.commonParameters.isEmpty {
            rows.append(("Same in every cell", digest.commonParameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")))
        }
        let reps = Set(r.cells.flatMap { $0.samples.map(\.repetition) }).count
        rows.append(("Cells", "\(r.cells.count) (\(r.cells.filter { $0.status == .ok }.count) ok), \(reps) repetition\(reps == 1 ? "" : "s") each"))
        if let runPath { rows.append(("Result file", runPath)) }
        if let baseline {
            rows.append(("Baseline", "\(baseline.run.runID) (\(baselinePath ?? "")), commit \(baseline.run.source?.commit ?? "unknown")"))
        }
        if let comparison, comparison.findings.contains(where: \.isGated) {
            var seen: [String: Set<String>] = [:]
            for f in comparison.findings where f.isGated {
                let t = GoFloatFormat.shortest(((f.threshold ?? 0) * 1000).rounded() / 10) + "%"
                seen[Metric.canonicalName(f.unit), default: []].insert("\(t) (\(f.thresholdSource?.rawValue ?? "?"))")
            }
            rows.append(("Gate", seen.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.sorted().joined(separator: ", "))" }
                .joined(separator: "; ") + "; other metrics informational"))
        } else if !r.scenario.thresholds.isEmpty {
            rows.append(("Thresholds", r.scenario.thresholds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        }
        return rows
    }

    /// Per-cell table: units shown as columns (syscall breakdowns stay in their chart).
    public var tableUnits: [String] { digest.units.filter { !$0.hasPrefix("syscalls.") } }
}

extension Optional where Wrapped: Collection {
    var isEmptyOrNil: Bool { self?.isEmpty ?? true }
}
