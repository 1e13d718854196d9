import ArgumentParser
import Foundation
import SurgeCompare
import SurgeReport
import SurgeResults
import SurgeStats

/// `surge compare OLD NEW [MORE...]`: benchstat's comparison (same tables, numbers and footnotes for
/// Go benchmark-format input) plus a regression gate with per-metric thresholds and exit codes.
///
/// benchstat's single-dash flags are accepted as they are: every benchstat option is declared with
/// both a `--long` name and the same name `withSingleDash` (swift-argument-parser's
/// `.customLong(_, withSingleDash: true)`), so `-col /flush`, `--col /flush`, `-col=/flush` all work.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare benchmark results with benchstat's statistics and gate on regressions.",
        discussion: """
            Inputs are Surge result files (JSON) or Go benchmark-format text, mixed freely; `label=path` \
            labels a column. For Go-format inputs without Surge-only options, standard output is what \
            benchstat prints and Surge's verdict goes to standard error.
            Only metrics with a threshold gate: --threshold, then a calibration (surge calibrate), then the \
            scenario's thresholds:, then the key metrics of the workload kind (throughput, p99 latency, \
            syscalls/op, allocs/op). A regression is significant AND beyond its threshold AND in the bad \
            direction. Derived metrics (B/s, sec/op of a throughput), gauges (peak RSS, threads) and metrics \
            without a threshold are informational; figures measured by different methods are not compared.
            Exit status: 0 no regression, 2 regression, 3 inputs not comparable, 1 bad input or usage \
            (an empty, unreadable or result-less input, or nothing compared).
            """
    )

    @Option(name: [.customLong("format"), .customLong("format", withSingleDash: true)], help: "text, csv, markdown or json.")
    var format = "text"
    @Option(name: [.customLong("alpha"), .customLong("alpha", withSingleDash: true)], help: "Significance level: a change is significant if p <= alpha.")
    var alpha = 0.05
    @Option(name: [.customLong("confidence"), .customLong("confidence", withSingleDash: true)], help: "Confidence level of the median's interval.")
    var confidence = 0.95
    @Option(name: [.customLong("filter"), .customLong("filter", withSingleDash: true)], parsing: .unconditional, help: "Use only benchmarks matching this benchstat filter.")
    var filter = "*"
    @Option(name: [.customLong("row"), .customLong("row", withSingleDash: true)], parsing: .unconditional, help: "Split rows by these keys.")
    var row = ".fullname"
    @Option(name: [.customLong("col"), .customLong("col", withSingleDash: true)], parsing: .unconditional, help: "Compare across these keys (e.g. .file, /flush).")
    var col = ".file"
    @Option(name: [.customLong("table"), .customLong("table", withSingleDash: true)], parsing: .unconditional, help: "Split tables by these keys.")
    var table = ".config"
    @Option(name: [.customLong("ignore"), .customLong("ignore", withSingleDash: true)], parsing: .unconditional, help: "Ignore variation in these keys.")
    var ignore = ""

    @OptionGroup var gate: GateOptions
    @Option(name: .customLong("baseline"), help: "Compare against Reports/baselines/NAME.json (the first input).")
    var baseline: String?
    @Option(name: .customLong("baselines-dir"), help: "Where baselines live.")
    var baselinesDirectory = "Reports/baselines"
    @Flag(name: .customLong("allow-mismatch"), help: "Compare results of different scenarios or hosts anyway.")
    var allowMismatch = false
    @Flag(name: .customLong("strict"), help: "A host fingerprint differing from the baseline's fails (exit 3) instead of warning.")
    var strict = false

    @Option(name: .customLong("profile-diffs"), help: ArgumentHelp(
        "Write the differential flame graphs of the cells that changed significantly (both files profiled) here.",
        valueName: "dir"))
    var profileDiffs: String?

    @Argument(help: "Result files: Surge JSON or Go benchmark text, or label=path.")
    var inputs: [String] = []

    func run() async throws {
        let status = execute()
        if status != 0 { throw ExitCode(status) }
    }

    func execute() -> Int32 {
        let startupCPU = PhaseTiming.processCPU()
        var stderr = StandardError()
        var timing: PhaseTiming?
        defer {
            if var timing, PhaseTiming.isRequested {
                timing.lap("write")
                print("surge compare timing (ms): start-up CPU \(PhaseTiming.milliseconds(startupCPU)), "
                      + "\(timing.summary), process CPU \(PhaseTiming.milliseconds(PhaseTiming.processCPU()))",
                      to: &stderr)
            }
        }
        var paths = inputs
        if let baseline {
            paths.insert("\(baselinesDirectory)/\(baseline).json", at: 0)
        }
        guard !paths.isEmpty else {
            print("surge compare: no inputs (usage: surge compare OLD NEW [MORE...], or --baseline NAME NEW)", to: &stderr)
            return SurgeExitCode.badInput.rawValue
        }
        guard ["text", "csv", "markdown", "json"].contains(format) else {
            print("surge compare: -format must be text, csv, markdown or json", to: &stderr)
            return SurgeExitCode.badInput.rawValue
        }
        var request = ComparisonRequest()
        request.options.alpha = alpha
        request.options.confidence = confidence
        request.options.filter = filter
        request.options.row = row
        request.options.col = col
        request.options.table = table
        request.options.ignore = ignore
        request.allowMismatch = allowMismatch
        request.strict = strict
        request.viaBaseline = baseline != nil
        if baseline == nil, format == "text", let pair = AbRecordInput.pair(paths) {
            do {
                try gate.apply(to: &request, baselinesDirectory: baselinesDirectory, baseline: nil)
            } catch {
                print("surge compare: \(error)", to: &stderr)
                return SurgeExitCode.badInput.rawValue
            }
            return AbRecordInput.judge(pair, request: request, reportDirectory: nil)
        }
        let outcome: ComparisonOutcome
        do {
            try gate.apply(to: &request, baselinesDirectory: baselinesDirectory, baseline: baseline)
            outcome = try ComparisonPipeline.compare(paths: paths, request)
        } catch {
            print("surge compare: \(error)", to: &stderr)
            return SurgeExitCode.badInput.rawValue
        }
        timing = outcome.timing
        for e in outcome.inputs.syntaxErrors { print(e.description, to: &stderr) }
        let status: SurgeExitCode
        switch outcome.status {
        case .ok: status = .ok
        case .regression: status = .regression
        case .notComparable: status = .notComparable
        }
        let read = outcome.inputs
        let benchstatMode = !read.hasSurgeResults && gate.thresholds.isEmpty && baseline == nil && (format == "text" || format == "csv")
        let noteLines = outcome.warnings.map { "warning: \($0)" } + (read.hasSurgeResults ? [Self.gateLine(outcome)] : [])
        switch format {
        case "csv":
            let (csv, warnings) = BenchstatCSVRenderer.render(outcome.tables)
            timing?.lap("render")
            FileHandle.standardOutput.write(Data(csv.utf8))
            stderr.write(warnings)
            for line in noteLines { print("surge compare: \(line)", to: &stderr) }
            print(outcome.verdict, to: &stderr)
        case "markdown":
            var text = MarkdownRenderer.render(outcome.tables, findings: outcome.findings, verdict: outcome.verdict)
            if !noteLines.isEmpty { text += "\n" + noteLines.map { "> \($0)\n" }.joined() }
            text += CompareProfiles.section(
                inputs: paths, findings: outcome.findings, markdown: true, directory: profileDiffs, stderr: &stderr)
            FileHandle.standardOutput.write(Data(text.utf8))
        case "json":
            do {
                let json = try JSONRenderer.render(outcome.tables, findings: outcome.findings, verdict: outcome.verdict,
                                                   exitStatus: status.rawValue, warnings: outcome.warnings)
                FileHandle.standardOutput.write(Data(json.utf8))
            } catch {
                print("surge compare: \(error)", to: &stderr)
                return SurgeExitCode.badInput.rawValue
            }
        default:
            let text = BenchstatTextRenderer.render(outcome.tables)
            timing?.lap("render")
            if benchstatMode {
                FileHandle.standardOutput.write(Data(text.utf8))
                for line in noteLines { print("surge compare: \(line)", to: &stderr) }
                print(outcome.verdict, to: &stderr)
            } else {
                var out = text.isEmpty ? "" : text + "\n"
                out += noteLines.map { $0 + "\n" }.joined()
                out += Self.findingLines(outcome).map { $0 + "\n" }.joined()
                out += CompareProfiles.section(
                    inputs: paths, findings: outcome.findings, markdown: false, directory: profileDiffs, stderr: &stderr)
                out += outcome.verdict + "\n"
                FileHandle.standardOutput.write(Data(out.utf8))
            }
        }
        return status.rawValue
    }

    /// `gate: msgs/s 5% (scenario), syscalls/op 10% (workload default); calibration: PATH` — what was judged, and by what.
    static func gateLine(_ outcome: ComparisonOutcome) -> String {
        var seen: [String: Set<String>] = [:]
        var order: [String] = []
        for f in outcome.findings where f.isGated {
            let key = f.unit
            if seen[key] == nil { order.append(key) }
            let t = f.threshold.map { GoFloatFormat.shortest(($0 * 1000).rounded() / 10) + "%" } ?? "?"
            seen[key, default: []].insert(f.thresholdSource == .calibration ? "calibrated" : "\(t) (\(f.thresholdSource?.rawValue ?? "?"))")
        }
        if order.isEmpty { return "gate: no metric with a threshold was compared" }
        return "gate: " + order.map { "\($0) \(seen[$0]!.sorted().joined(separator: " / "))" }.joined(separator: ", ")
            + "; other metrics informational"
    }

    /// One line per gated regression and improvement, with the numbers behind it.
    static func findingLines(_ outcome: ComparisonOutcome) -> [String] {
        let manyColumns = outcome.tables.tables.contains { $0.columns.count > 2 }
        return (outcome.regressions.map { ("REGRESSION", $0) } + outcome.improvements.map { ("improvement", $0) }).map { kind, f in
            let change = f.change.map { $0.isFinite ? GoFloatFormat.signedFixed($0 * 100, 2) + "%" : "from 0" } ?? "?"
            let limit = GoFloatFormat.shortest(((f.threshold ?? 0) * 1000).rounded() / 10) + "%"
            let p = f.metric.metricClass == .exact ? "exact count" : "p=\(GoFloatFormat.fixed(f.p, 3))"
            let column = manyColumns ? " [\(f.column)]" : ""
            return "\(kind): \(f.row)\(column) \(f.unit) \(change) (threshold \(limit) \(f.thresholdSource?.rawValue ?? ""), \(p))"
        }
    }

}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
