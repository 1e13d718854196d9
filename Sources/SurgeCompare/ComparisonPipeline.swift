import Foundation
import SurgeResults
import SurgeStats

/// What to compare and how to judge it: the one set of choices `surge compare`, `surge report`,
/// `ci-regression` and the weekly report share.
public struct ComparisonRequest: Sendable {
    public var options = CompareOptions()
    /// `--threshold` values: they override every other source.
    public var thresholds: [MetricThreshold] = []
    public var calibration: Calibration?
    /// Where `calibration` was read from (named in the output).
    public var calibrationPath: String?
    /// With no `calibration`: look for `DIR/NAME.thresholds.yaml` here, NAME being `calibrationName` or
    /// the file name (without extension) of the first Surge input's scenario. A missing file is fine;
    /// a broken one is an error.
    public var calibrationDirectory: String?
    public var calibrationName: String?
    /// Compare results of different scenarios or hosts anyway (with a warning).
    public var allowMismatch = false
    /// With a baseline, a differing host fingerprint fails instead of warning.
    public var strict = false
    /// The first input is a named baseline (`--baseline`): another host then warns unless `strict`.
    public var viaBaseline = false

    public init() {}
}

/// A finished comparison: benchstat's tables, the gate's findings and verdict, and what the reader
/// must know before trusting it.
public struct ComparisonOutcome: Sendable {
    public enum Status: Sendable, Equatable {
        case ok
        case regression
        /// Other scenario or host (exit 3).
        case notComparable(String)
    }

    public var inputs: CompareInputs
    public var tables: ComparisonTables
    public var gate: RegressionGate
    public var findings: [GateFinding]
    public var status: Status
    /// The one-line verdict (`surge compare: OK: …`, `… REGRESSION: …`, `… inputs not comparable: …`).
    public var verdict: String
    /// Things to know: cells only on one side, gates below the noise floor, figures not comparable,
    /// a calibration made elsewhere, a differing host.
    public var warnings: [String]
    /// Some comparisons had too few values for Mann-Whitney U to reach significance at all.
    public var lacksPower: Bool
    /// How long reading, grouping, projection, statistics and the gate took.
    public var timing = PhaseTiming()

    public var regressions: [GateFinding] { findings.filter(\.isRegression) }
    public var improvements: [GateFinding] { findings.filter(\.isImprovement) }
}

/// The comparison pipeline: inputs → benchstat's tables (`ComparisonBuilder`) → the gate
/// (`RegressionGate`) → verdict, with every input checked on the way (broken input never passes).
public enum ComparisonPipeline {
    /// Reads `paths` (Surge result files and Go benchmark text, mixed) and compares them.
    /// Throws for unreadable, empty or result-less inputs and when nothing could be compared.
    public static func compare(paths: [String], _ request: ComparisonRequest) throws(CompareInputError)
        -> ComparisonOutcome
    {
        var timing = PhaseTiming()
        let builder = try makeBuilder(request.options)
        let read: CompareInputs
        // Asked for a breakdown, the time spent grouping (in the sink) is booked apart from reading.
        let split = PhaseTiming.isRequested
        let clock = ContinuousClock()
        var grouping = Duration.zero
        do {
            if split {
                read = try CompareInputs.read(paths, streamingTo: { record in
                    let start = clock.now
                    builder.add(record)
                    grouping += clock.now - start
                })
            } else {
                read = try CompareInputs.read(paths, streamingTo: { builder.add($0) })
            }
        } catch let error as CompareInputError {
            throw error
        } catch {
            throw CompareInputError("\(error)")
        }
        if split {
            timing.lap("read", splitting: grouping, as: "group")
        } else {
            timing.lap("read+group")
        }
        return try finish(builder, read, request, timing: timing)
    }

    /// Compares result files already in memory, each `(label, run)` one input in order.
    public static func compare(
        runs: [(label: String, run: RunResult)], _ request: ComparisonRequest,
        keeping units: Set<String>? = nil
    ) throws(CompareInputError) -> ComparisonOutcome {
        var timing = PhaseTiming()
        let builder = try makeBuilder(request.options)
        var read = CompareInputs()
        for (label, run) in runs {
            var records = RunResultRecords.records(run, label: label)
            if let units {
                records = records.compactMap { rec in
                    var rec = rec
                    rec.values = rec.values.filter { units.contains($0.originalUnit) }
                    return rec.values.isEmpty ? nil : rec
                }
            }
            builder.add(records)
            read.inputs.append(
                CompareInputs.Input(
                    label: label, path: label, run: run, records: records, recordCount: records.count,
                    byteCount: 1))
        }
        timing.lap("read+group")
        return try finish(builder, read, request, timing: timing)
    }

    /// Go benchmark-format input has no workload to declare key metrics: it is judged by the three
    /// figures `go test -bench -benchmem` prints, at the workload kinds' default of 5%.
    public static let goKeyMetrics: [String: Double] = ["ns/op": 0.05, "B/op": 0.05, "allocs/op": 0.05]

    static func makeBuilder(_ options: CompareOptions) throws(CompareInputError) -> ComparisonBuilder {
        do {
            return try ComparisonBuilder(options: options)
        } catch {
            throw CompareInputError("\(error)")
        }
    }

    static func finish(
        _ builder: ComparisonBuilder, _ read: CompareInputs,
        _ request: ComparisonRequest, timing: PhaseTiming
    ) throws(CompareInputError) -> ComparisonOutcome {
        var timing = timing
        try read.checkEveryInputHasResults()
        var exact = Set(read.unitMetadata.entries.compactMap { $0.value["assume"] == "exact" ? $0.key : nil })
        // Each unit looked up once, not once per value.
        var units: [String: String] = [:]
        for input in read.inputs where input.run != nil {
            for record in input.records { for v in record.values { units[v.originalUnit] = v.unit } }
        }
        for (original, tidied) in units where Metric.named(original).metricClass == .exact { exact.insert(tidied) }
        builder.exactUnits = exact
        let tables = builder.build()
        timing.lap("projection", splitting: builder.statisticsDuration, as: "statistics")
        if tables.isEmpty {
            throw CompareInputError(
                "nothing to compare: no result matched -filter \(request.options.filter) "
                    + "(\(read.inputs.reduce(0) { $0 + $1.recordCount }) results read)")
        }
        var request = request
        if request.calibration == nil, let directory = request.calibrationDirectory {
            let stem =
                request.calibrationName
                ?? read.runs.first.map {
                    (($0.scenario.file as NSString).lastPathComponent as NSString).deletingPathExtension
                }
            if let stem, !stem.isEmpty {
                let path = "\(directory)/\(stem).thresholds.yaml"
                if FileManager.default.fileExists(atPath: path) {
                    request.calibration = try Calibration.read(path: path)
                    request.calibrationPath = path
                }
            }
        }
        let settings = try RegressionGate.settings(from: read.runs)
        var keyMetrics = settings.keyMetrics
        if read.inputs.contains(where: { $0.run == nil }) {
            for (name, t) in goKeyMetrics where keyMetrics[name] == nil { keyMetrics[name] = t }
        }
        let gate = RegressionGate(
            commandLine: request.thresholds, scenario: settings.scenario, keyMetrics: keyMetrics,
            calibration: request.calibration)
        let findings = gate.evaluate(tables)
        timing.lap("gate")
        let coverage = CellCoverage(tables)
        if findings.isEmpty && tables.tables.contains(where: { $0.columns.count > 1 }) {
            throw CompareInputError(
                "nothing compared: no benchmark is in both the baseline column and another column. "
                    + coverage.sentences.joined(separator: "; "))
        }
        var warnings = coverage.sentences
        warnings += NoiseWarnings.sentences(findings, gate: gate, calibrationPath: request.calibrationPath)
        warnings += notComparableSummary(findings)
        if let calibration = request.calibration {
            warnings += calibrationWarnings(
                calibration, path: request.calibrationPath ?? "the calibration", runs: read.runs)
        }
        let mismatch = InputMismatch.check(read, request)
        warnings += mismatch.warnings
        var status: ComparisonOutcome.Status = findings.contains(where: \.isRegression) ? .regression : .ok
        var verdict = RegressionGate.verdictLine(findings)
        if let problem = mismatch.fatal {
            status = .notComparable(problem)
            verdict = "surge compare: inputs not comparable: \(problem) (use --allow-mismatch to compare anyway)"
        }
        // Only where it matters: a gated figure that could not have been called significant.
        // Rows and columns indexed once per table: a linear search per finding is quadratic.
        // Each finding knows its cell's position, so no table is searched or copied.
        var power = Set<String>()
        for f in findings where f.isGated {
            let warnings = tables.tables[f.table].cells[f.rowIndex][f.columnIndex]?.comparison?.warnings ?? []
            for w in warnings where w.hasPrefix("need") { power.insert(w) }
        }
        if !power.isEmpty {
            warnings.append(
                "too few repetitions to call a change significant: " + power.sorted().joined(separator: "; ")
                    + ". A '~' here means 'not measurable', not 'unchanged'; run more repetitions (the scenario's default is 6)"
            )
        }
        timing.lap("warnings")
        return ComparisonOutcome(
            inputs: read, tables: tables, gate: gate, findings: findings, status: status, verdict: verdict,
            warnings: warnings, lacksPower: !power.isEmpty, timing: timing)
    }

    /// `not comparable (measured by different methods, not judged): allocs/op in 2 cells (uprobe vs preload)`.
    static func notComparableSummary(_ findings: [GateFinding]) -> [String] {
        var byMetric: [String: (cells: Int, why: Set<String>)] = [:]
        for f in findings {
            guard case .notComparable(let why) = f.role else { continue }
            byMetric[f.unit, default: (0, [])].cells += 1
            byMetric[f.unit]!.why.insert(why)
        }
        guard !byMetric.isEmpty else { return [] }
        let parts = byMetric.keys.sorted().map { unit in
            let e = byMetric[unit]!
            return "\(unit) in \(e.cells) cell\(e.cells == 1 ? "" : "s") (\(e.why.sorted().joined(separator: "; ")))"
        }
        return [
            "not comparable (measured by different methods, excluded from the gate): " + parts.joined(separator: ", ")
        ]
    }

    static func calibrationWarnings(_ c: Calibration, path: String, runs: [RunResult]) -> [String] {
        var out: [String] = []
        if let run = runs.last {
            if !c.host.isEmpty && c.host != run.host.fingerprint {
                out.append(
                    "\(path) was calibrated on another host (\(c.host)); its noise floor may not hold here (\(run.host.fingerprint))"
                )
            }
            if !c.scenarioSHA256.isEmpty && c.scenarioSHA256 != run.scenario.sha256 {
                out.append(
                    "\(path) was calibrated on another version of scenario '\(c.scenario)' (its file changed since); recalibrate"
                )
            }
        }
        return out
    }
}
