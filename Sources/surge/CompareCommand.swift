import ArgumentParser
import Foundation
import SurgeReport
import SurgeResults

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
            Exit status: 0 no regression, 2 regression, 3 inputs not comparable, 1 usage or input error \
            (including inputs with nothing to compare).
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

    @Option(name: .customLong("threshold"), help: "Per-metric threshold, e.g. 'msgs/s=3%', 'allocs/op=0', '*=2%'. Repeatable; overrides the scenario's.")
    var thresholds: [String] = []
    @Option(name: .customLong("baseline"), help: "Compare against Reports/baselines/NAME.json (the first input).")
    var baseline: String?
    @Option(name: .customLong("baselines-dir"), help: "Where baselines live.")
    var baselinesDirectory = "Reports/baselines"
    @Flag(name: .customLong("allow-mismatch"), help: "Compare results of different scenarios or hosts anyway.")
    var allowMismatch = false
    @Flag(name: .customLong("strict"), help: "A host fingerprint differing from the baseline's fails (exit 3) instead of warning.")
    var strict = false

    @Argument(help: "Result files: Surge JSON or Go benchmark text, or label=path.")
    var inputs: [String] = []

    func run() async throws {
        let status = execute()
        if status != 0 { throw ExitCode(status) }
    }

    func execute() -> Int32 {
        var stderr = StandardError()
        let clock = ContinuousClock()
        let started = clock.now
        var phases: [(String, Duration)] = []
        var phaseStart = started
        func phase(_ name: String) {
            let now = clock.now
            phases.append((name, now - phaseStart))
            phaseStart = now
        }
        defer {
            if ProcessInfo.processInfo.environment["SURGE_COMPARE_TIMING"] != nil {
                let text = phases.map { "\($0.0) \(Self.milliseconds($0.1))" }.joined(separator: ", ")
                print("surge compare timing (ms): \(text), total \(Self.milliseconds(clock.now - started))", to: &stderr)
            }
        }
        var paths = inputs
        if let baseline {
            paths.insert("\(baselinesDirectory)/\(baseline).json", at: 0)
        }
        guard !paths.isEmpty else {
            print("surge compare: no inputs (usage: surge compare OLD NEW [MORE...], or --baseline NAME NEW)", to: &stderr)
            return 1
        }
        guard ["text", "csv", "markdown", "json"].contains(format) else {
            print("surge compare: -format must be text, csv, markdown or json", to: &stderr)
            return 1
        }
        var options = CompareOptions()
        options.alpha = alpha
        options.confidence = confidence
        options.filter = filter
        options.row = row
        options.col = col
        options.table = table
        options.ignore = ignore
        let builder: ComparisonBuilder
        do {
            builder = try ComparisonBuilder(options: options)
        } catch {
            print("surge compare: \(error)", to: &stderr)
            return 1
        }
        let read: CompareInputs
        do {
            read = try CompareInputs.read(paths, streamingTo: { builder.add($0) })
        } catch {
            print("surge compare: \(error)", to: &stderr)
            return 1
        }
        for e in read.syntaxErrors { print(e.description, to: &stderr) }
        phase("read+group")
        var exact = Set(read.unitMetadata.entries.compactMap { $0.value["assume"] == "exact" ? $0.key : nil })
        for input in read.inputs where input.run != nil {
            for record in input.records {
                for v in record.values where MetricKind.isExact(v.originalUnit) { exact.insert(v.unit) }
            }
        }
        builder.exactUnits = exact
        let tables = builder.build()
        phase("statistics")

        // Thresholds: the scenario's (from Surge inputs), then --threshold.
        var gateThresholds: [MetricThreshold] = []
        do {
            for run in read.runs { gateThresholds += try RegressionGate.thresholds(from: run) }
            for t in thresholds { gateThresholds.append(try MetricThreshold.parse(t)) }
        } catch {
            print("surge compare: \(error)", to: &stderr)
            return 1
        }
        let gate = RegressionGate(thresholds: gateThresholds)
        let findings = gate.evaluate(tables)

        let mismatch = Self.mismatch(read, allowMismatch: allowMismatch, strict: strict, viaBaseline: baseline != nil)
        var verdict = RegressionGate.verdictLine(findings)
        var status: Int32 = findings.contains { $0.verdict == .regression } ? 2 : 0
        if tables.isEmpty {
            verdict = "surge compare: nothing to compare: " + Self.emptyReason(read, filter: filter)
            status = 1
        }
        if let problem = mismatch.fatal {
            verdict = "surge compare: inputs not comparable: \(problem) (use --allow-mismatch to compare anyway)"
            status = 3
        }

        phase("gate")
        defer { phase("render+write") }
        let benchstatMode = !read.hasSurgeResults && thresholds.isEmpty && baseline == nil && (format == "text" || format == "csv")
        for w in mismatch.warnings { print("surge compare: warning: \(w)", to: &stderr) }
        switch format {
        case "csv":
            let (csv, warnings) = BenchstatCSVRenderer.render(tables)
            FileHandle.standardOutput.write(Data(csv.utf8))
            stderr.write(warnings)
            print(verdict, to: &stderr)
        case "markdown":
            FileHandle.standardOutput.write(Data(MarkdownRenderer.render(tables, findings: findings, verdict: verdict).utf8))
        case "json":
            do {
                FileHandle.standardOutput.write(Data(try JSONRenderer.render(tables, findings: findings, verdict: verdict, exitStatus: status).utf8))
            } catch {
                print("surge compare: \(error)", to: &stderr)
                return 1
            }
        default:
            let text = BenchstatTextRenderer.render(tables)
            if benchstatMode {
                FileHandle.standardOutput.write(Data(text.utf8))
                print(verdict, to: &stderr)
            } else {
                FileHandle.standardOutput.write(Data((text.isEmpty ? "" : text + "\n") .utf8))
                FileHandle.standardOutput.write(Data((verdict + "\n").utf8))
            }
        }
        return status
    }

    static func milliseconds(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        return String(format: "%.1f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }

    static func emptyReason(_ read: CompareInputs, filter: String) -> String {
        let total = read.inputs.reduce(0) { $0 + $1.recordCount }
        if total == 0 {
            let surge = read.inputs.filter { $0.run != nil }.map(\.label)
            let text = read.inputs.filter { $0.run == nil }.map(\.label)
            var reasons: [String] = []
            if !surge.isEmpty { reasons.append("no measured samples in \(surge.joined(separator: ", ")) (no cell with status ok)") }
            if !text.isEmpty { reasons.append("no benchmark result lines in \(text.joined(separator: ", "))") }
            return reasons.joined(separator: "; ")
        }
        return "no result matched -filter \(filter) (\(total) results read)"
    }

    static func mismatch(_ read: CompareInputs, allowMismatch: Bool, strict: Bool, viaBaseline: Bool) -> (fatal: String?, warnings: [String]) {
        let runs = read.inputs.compactMap { input in input.run.map { (input.label, $0) } }
        guard let (firstLabel, first) = runs.first else { return (nil, []) }
        var warnings: [String] = []
        var fatal: String?
        for (label, run) in runs.dropFirst() {
            if run.scenario.name != first.scenario.name {
                let text = "\(firstLabel) is scenario '\(first.scenario.name)', \(label) is '\(run.scenario.name)'"
                if allowMismatch { warnings.append(text) } else if fatal == nil { fatal = text }
            }
            if run.host.fingerprint != first.host.fingerprint {
                let text = "host fingerprints differ: \(firstLabel): \(first.host.fingerprint); \(label): \(run.host.fingerprint)"
                let failing = viaBaseline ? strict : true
                if allowMismatch || !failing { warnings.append(text) } else if fatal == nil { fatal = text }
            }
        }
        return (fatal, warnings)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
