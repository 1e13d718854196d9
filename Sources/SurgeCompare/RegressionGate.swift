import SurgeResults
import SurgeStats

/// The CI gate on top of benchstat's numbers.
///
/// Only metrics with a threshold gate: `--threshold`, then a calibration (per cell and metric), then
/// the scenario's `thresholds:`, then the key metrics the cell's workload kind declares. A gated
/// change is a **regression** when it is statistically significant (p ≤ alpha; exact metrics: any
/// difference), larger than its threshold and in the metric's bad direction. Everything else is
/// informational: derived metrics (they restate a gated one), gauges (unless a threshold names them),
/// metrics without a threshold, and figures measured by different methods on the two sides.
public struct RegressionGate: Sendable {
    /// `--threshold` values.
    public var commandLine: [MetricThreshold]
    /// The scenario's `thresholds:` (from the Surge inputs).
    public var scenario: [MetricThreshold]
    /// Key metric → default threshold, over every cell of the Surge inputs.
    public var keyMetrics: [String: Double]
    public var calibration: Calibration?

    public init(
        commandLine: [MetricThreshold] = [], scenario: [MetricThreshold] = [], keyMetrics: [String: Double] = [:],
        calibration: Calibration? = nil
    ) {
        self.commandLine = commandLine
        self.scenario = scenario
        self.keyMetrics = keyMetrics
        self.calibration = calibration
    }

    /// The thresholds and key metrics Surge result files carry.
    public static func settings(from runs: [RunResult]) throws(CompareInputError) -> (
        scenario: [MetricThreshold], keyMetrics: [String: Double]
    ) {
        var scenario: [MetricThreshold] = []
        var keys: [String: Double] = [:]
        for run in runs {
            for (unit, text) in run.scenario.thresholds.sorted(by: { $0.key < $1.key }) {
                let context = "\(run.scenario.file): thresholds: \(unit)"
                let t = MetricThreshold(unit: unit, fraction: try MetricThreshold.parseAmount(text, context: context))
                if !scenario.contains(t) { scenario.append(t) }
            }
            for cell in run.cells {
                for (metric, text) in cell.keyMetrics ?? [:] {
                    let value = try MetricThreshold.parseAmount(text, context: "\(run.runID): key metric \(metric)")
                    keys[metric] = min(keys[metric] ?? value, value)
                }
            }
        }
        return (scenario, keys)
    }

    /// The threshold for `metric` in `row`, and where it came from; nil when the metric does not gate.
    public func threshold(row: String, metric: Metric) -> (fraction: Double, source: ThresholdSource)? {
        if let t = commandLine.last(where: { $0.names(metric) }) { return (t.fraction, .commandLine) }
        if let t = calibration?.entry(row: row, metric: metric.name)?.threshold { return (t, .calibration) }
        if let t = scenario.last(where: { $0.names(metric) }) { return (t.fraction, .scenario) }
        // Gauges and derived figures gate only when a threshold names them.
        let broad = metric.metricClass != .gauge && metric.derivedFrom == nil
        if broad, let t = commandLine.last(where: { $0.unit == "*" }) { return (t.fraction, .commandLine) }
        if broad, let t = scenario.last(where: { $0.unit == "*" }) { return (t.fraction, .scenario) }
        if let t = keyMetrics[metric.name] { return (t, .workload) }
        return nil
    }

    /// One finding per compared cell, in table, row and column order. Rows are judged in chunks side
    /// by side on large inputs (each finding depends on its row alone).
    public func evaluate(_ tables: ComparisonTables) -> [GateFinding] {
        // Which metrics each row measured, so that derived metrics know their source is there.
        var rowMetrics: [String: Set<String>] = [:]
        for table in tables.tables {
            let name = Metric.canonicalName(table.unit)
            for (r, label) in table.rows.enumerated() where table.cells[r].contains(where: { $0 != nil }) {
                rowMetrics[label, default: []].insert(name)
            }
        }
        let list = tables.tables
        let columnLabels = list.map { $0.columns.map { $0.joined(separator: " ") } }
        var rowRefs: [(table: Int, row: Int)] = []
        for (ti, table) in list.enumerated() { for r in table.rows.indices { rowRefs.append((ti, r)) } }
        // Rows measure few distinct sets of metrics: each set is numbered once, so a row costs one
        // lookup of its label rather than hashing its whole set.
        var setNumber: [Set<String>: Int] = [:]
        var sets: [Set<String>] = [[]]
        var labelSet: [String: Int] = [:]
        for (label, siblings) in rowMetrics {
            if let n = setNumber[siblings] {
                labelSet[label] = n
            } else {
                setNumber[siblings] = sets.count
                labelSet[label] = sets.count
                sets.append(siblings)
            }
        }
        let refs = rowRefs
        let siblingSets = sets
        let siblingSetOf = labelSet
        let workers = refs.count >= CellStatistics.parallelThreshold ? min(CellStatistics.processorCount(), 8) : 1
        return CellStatistics.chunked(refs.count, workers) { range in
            // The metric of each table and set of siblings, made once per chunk.
            var metrics = [[Metric?]](repeating: [Metric?](repeating: nil, count: siblingSets.count), count: list.count)
            var findings: [GateFinding] = []
            findings.reserveCapacity(range.count * 2)
            for (ti, r) in refs[range] {
                let table = list[ti]
                let label = table.rows[r]
                let set = siblingSetOf[label] ?? 0
                let metric: Metric
                if let known = metrics[ti][set] {
                    metric = known
                } else {
                    var named = Metric.named(table.unit, siblings: siblingSets[set])
                    if table.exact { named.metricClass = .exact }
                    metrics[ti][set] = named
                    metric = named
                }
                let line = table.cells[r]
                for c in line.indices.dropFirst() {
                    guard let cmp = line[c]?.comparison else { continue }
                    var found = finding(
                        table: ti, row: label, column: columnLabels[ti][c], unit: table.unit, metric: metric,
                        comparison: cmp)
                    found.rowIndex = r
                    found.columnIndex = c
                    findings.append(found)
                }
            }
            return findings
        }
    }

    func finding(
        table: Int, row: String, column: String, unit: String, metric: Metric,
        comparison cmp: CellComparison
    ) -> GateFinding {
        let change: Double? = cmp.relativeChange ?? (cmp.center > cmp.baselineCenter ? .infinity : -.infinity)
        let significant = cmp.isSignificant && cmp.center != cmp.baselineCenter
        let limit = threshold(row: row, metric: metric)
        let role: GateFinding.Role
        if let mismatch = cmp.methodMismatch {
            role = .notComparable(mismatch)
        } else if let source = metric.derivedFrom, threshold(row: row, metric: Metric.named(source)) != nil,
            limit?.source != .commandLine
        {
            role = .derived(from: source)
        } else if limit == nil {
            role = .informational
        } else {
            role = .gated
        }
        let bad = metric.direction == .lowerIsBetter ? (change ?? 0) > 0 : (change ?? 0) < 0
        let verdict: GateFinding.Verdict
        if !significant {
            verdict = .unchanged
        } else if abs(change ?? 0) <= (limit?.fraction ?? 0) {
            verdict = .withinThreshold
        } else {
            verdict = bad ? .regression : .improvement
        }
        return GateFinding(
            table: table, row: row, column: column, unit: unit, metric: metric, change: change,
            threshold: limit?.fraction, thresholdSource: limit?.source,
            noiseFloor: calibration?.entry(row: row, metric: metric.name)?.noise,
            p: cmp.p, significant: significant, verdict: verdict, role: role)
    }

    /// One line: `surge compare: REGRESSION: 1 of 8 gated comparisons regressed (… req/s -12.30% > 5%)`.
    public static func verdictLine(_ findings: [GateFinding]) -> String {
        // Counted in one pass: the findings are many (one per compared cell), the regressions few.
        var gatedCount = 0
        var regressions: [GateFinding] = []
        var improvements = 0
        var notComparable = 0
        for f in findings {
            if f.isGated {
                gatedCount += 1
                if f.isRegression { regressions.append(f) }
                if f.isImprovement { improvements += 1 }
            }
            if case .notComparable = f.role { notComparable += 1 }
        }
        let others = findings.count - gatedCount
        if findings.isEmpty { return "surge compare: no comparison (nothing in a baseline column to compare with)" }
        var tail = "\(others) informational"
        if notComparable > 0 { tail += ", of which \(notComparable) not comparable (different methods)" }
        if gatedCount == 0 {
            return "surge compare: OK: nothing gated (no metric with a threshold was compared; \(tail))"
        }
        let plural = gatedCount == 1 ? "" : "s"
        if regressions.isEmpty {
            return
                "surge compare: OK: no regression in \(gatedCount) gated comparison\(plural) (\(improvements) improved; \(tail))"
        }
        let shown = regressions.prefix(3).map { f in
            "\(f.row) \(f.unit) \(percent(f.change)) > \(GoFloatFormat.shortest((f.threshold ?? 0) * 100))%"
        }.joined(separator: "; ")
        let more = regressions.count > 3 ? "; …" : ""
        return
            "surge compare: REGRESSION: \(regressions.count) of \(gatedCount) gated comparison\(plural) regressed (\(shown)\(more))"
    }

    static func percent(_ change: Double?) -> String {
        guard let change, change.isFinite else { return "from 0" }
        return GoFloatFormat.signedFixed(change * 100, 2) + "%"
    }
}
