import ArgumentParser
import Foundation
import SurgeCompare
import SurgeReport
import SurgeResults
import SurgeRunner
import SurgeScenario
import SurgeStats

/// `surge ab SCENARIO --a X --b Y`: A and B of every cell in interleaved rounds with freshly started
/// targets, judged by paired statistics through the same gate as `surge compare`.
struct AbCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ab",
        abstract: "Compare two builds or targets in interleaved A/B rounds with paired statistics.",
        discussion: """
            X and Y are each: a target name of the scenario's targets; cmd:"argv ..." (an external program, \
            no shell, {port} as in scenarios); build:DIR (a directory holding a surge executable, or a checkout \
            of this project built with `swift build -c release`); rev:GITREV (a revision checked out into a \
            temporary worktree under --build-cache, built once per commit; with a scenario `build:` section its \
            repository and command are used and {build} in target commands is the worktree).
            Every cell runs in rounds: round k of every cell before round k+1, and in each round the cell's A \
            and B back to back (ABBA: AB, BA, AB, ...; --order random: from --seed), every visit with a freshly \
            started target and the same CPU pinning. Process ids of every round are in the result files.
            Statistics: \(PairedRatio.methodText). The verdict is the gate of `surge compare` (--threshold, \
            calibration, the scenario's thresholds, workload defaults; derived metrics counted once). \
            --until-decided adds rounds for the cells whose interval still straddles a threshold edge, until \
            it lies entirely inside or outside the band, or --budget is spent (then "undecided").
            Writes two result files (A and B, linked by `ab` records) under --out and the comparison (ab.txt, \
            ab.md, index.html with gnuplot forest plots) to --report (default: beside them). \
            \(SurgeExitCode.summary)
            """
    )

    @Argument(help: "The scenario file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var scenario: String

    @Option(name: .customLong("a"), help: "Side A: TARGET, cmd:\"argv\", build:DIR or rev:GITREV.")
    var a: String

    @Option(name: .customLong("b"), help: "Side B: TARGET, cmd:\"argv\", build:DIR or rev:GITREV.")
    var b: String

    @Option(parsing: .unconditional, help: "Rounds per cell (at least 6 for a 95% interval).")
    var rounds = 6

    @Option(help: "abba (AB, BA, AB, ...) or random (each round's order from --seed).")
    var order = "abba"

    @Option(help: "Seed of --order random (default: drawn, printed and recorded).")
    var seed: UInt64?

    @Flag(
        name: .customLong("until-decided"),
        help: "Add rounds until every gated interval is inside or outside its threshold band.")
    var untilDecided = false

    @Option(help: "Time limit of --until-decided, e.g. 10m.")
    var budget = "10m"

    @Option(name: .customLong("max-rounds"), parsing: .unconditional, help: "Most rounds --until-decided makes.")
    var maxRounds = 60

    @Option(name: .customLong("out"), help: "Directory for the two result files.")
    var outputDirectory = "Reports/runs"

    @Option(
        name: .customLong("report"), help: ArgumentHelp("Directory for ab.txt, ab.md and index.html.", valueName: "dir")
    )
    var reportDirectory: String?

    @Option(help: "Warm-up per visit, e.g. 500ms (overrides the scenario's `warmup`).")
    var warmup: String?

    @Option(name: .customLong("filter"), help: "Only the cells whose benchmark name contains this text.")
    var cellFilter: String?

    @Option(help: ArgumentHelp("Probes instead of the scenario's (comma-separated; 'none').", valueName: "list"))
    var probes: String?

    @Option(
        name: [.customLong("a-probes")],
        help: ArgumentHelp("Probes of side A only, instead of --probes (e.g. 'none' against B's).", valueName: "list"))
    var aProbes: String?

    @Option(
        name: [.customLong("b-probes")],
        help: ArgumentHelp("Probes of side B only: `--a-probes none --b-probes cpu` measures what cpu costs.",
                           valueName: "list"))
    var bProbes: String?

    @Option(
        name: .customLong("target-option"),
        help: ArgumentHelp(
            "Set an option of both sides' built-in component targets (repeatable).", valueName: "key=value"))
    var targetOptions: [String] = []

    @Option(
        name: .customLong("a-option"),
        help: ArgumentHelp(
            "Set an option of side A's built-in component targets (repeatable).", valueName: "key=value"))
    var aOptions: [String] = []

    @Option(
        name: .customLong("b-option"),
        help: ArgumentHelp(
            "Set an option of side B's built-in component targets (repeatable): `--a default --b default "
                + "--b-option flush=immediate` measures one switch.", valueName: "key=value"))
    var bOptions: [String] = []

    @Option(name: .customLong("build-cache"), help: "Where rev: worktrees are built and kept, one per commit.")
    var buildCache = ".build/surge-ab"

    @Option(help: "Significance level of the signed-rank test.")
    var alpha = 0.05

    @Option(help: "Confidence level of the ratio's interval.")
    var confidence = 0.95

    @OptionGroup var gate: GateOptions

    @Option(name: .customLong("baselines-dir"), help: "Where calibrated thresholds files live.")
    var baselinesDirectory = "Reports/baselines"

    @Flag(name: .shortAndLong, help: "No progress display.")
    var quiet = false

    func validate() throws {
        if rounds < 1 { throw ValidationError("--rounds must be at least 1, found \(rounds)") }
        if ABOrder(rawValue: order) == nil {
            throw ValidationError("--order: expected abba or random, found '\(order)'")
        }
        if Durations.parse(budget) == nil {
            throw ValidationError("--budget: expected a duration like 10m, found '\(budget)'")
        }
        if let w = warmup, Durations.parse(w) == nil {
            throw ValidationError("--warmup: expected a duration like 500ms, found '\(w)'")
        }
        if maxRounds < rounds { throw ValidationError("--max-rounds must be at least --rounds") }
        for (text, option) in [(probes, "--probes"), (aProbes, "--a-probes"), (bProbes, "--b-probes")] {
            if let text { _ = try RunCommand.probeList(text, option: option) }
        }
        _ = try RunCommand.parseTargetOptions(targetOptions)
        _ = try RunCommand.parseTargetOptions(aOptions, option: "--a-option")
        _ = try RunCommand.parseTargetOptions(bOptions, option: "--b-option")
        if !(alpha > 0 && alpha < 1) || !(confidence > 0 && confidence < 1) {
            throw ValidationError("--alpha and --confidence must be between 0 and 1")
        }
    }

    func run() async throws {
        let scenario = try RunCommand.loadScenario(self.scenario)
        var request = ComparisonRequest()
        request.options.alpha = alpha
        request.options.confidence = confidence
        do {
            try gate.apply(to: &request, baselinesDirectory: baselinesDirectory, baseline: nil)
        } catch {
            throw Self.fail("\(error)")
        }
        let (planA, planB) = try plans(scenario)
        let abOrder = ABOrder(rawValue: order)!
        let seed = self.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        var options = RunOptions(surgeExecutable: SurgeExecutable.path, surgeVersion: SurgeVersion.string)
        options.outputDirectory = outputDirectory
        options.warmup = warmup.flatMap(Durations.parse)
        options.probes = try probes.map { try RunCommand.probeList($0, option: "--probes") }
        let runner = ABRunner(
            scenario: scenario, options: options, a: planA, b: planB, order: abOrder, seed: seed, rounds: rounds,
            progress: ProgressDisplay(quiet: quiet))
        let interrupts = InterruptHandler { runner.interrupt(by: $0) }
        defer { interrupts.cancel() }
        do {
            try runner.start()
        } catch {
            throw Self.fail("\(error)")
        }
        let sides = runner.sideTexts
        print(
            "surge ab: A = \(sides.a), B = \(sides.b); \(runner.cellCount) cells × \(rounds) rounds, order "
                + (abOrder == .random ? "random, seed \(seed) (repeat with --order random --seed \(seed))" : "ABBA"))
        let clock = ContinuousClock()
        let started = clock.now
        await runner.run(rounds: 1...rounds)
        var stopReason: String?
        if untilDecided {
            stopReason = await addRounds(runner, request: request, since: started, clock: clock)
        }
        let results: (a: RunResult, b: RunResult)
        do {
            results = try await runner.finish()
        } catch {
            throw Self.fail("\(error)")
        }
        let paths = runner.resultPaths
        let status = try Self.judge(
            results.a, results.b, paths: paths, request: request, stopReason: stopReason,
            reportDirectory: reportDirectory ?? Self.defaultReportDirectory(paths.a))
        let unsaved = runner.pipeline.unsavedResults
        if !unsaved.isEmpty {
            for text in unsaved { FileHandle.standardError.write(Data("surge ab: \(text)\n".utf8)) }
            throw SurgeExitCode.badInput.exitCode
        }
        if results.a.status == .interrupted { throw SurgeExitCode.interrupted.exitCode }
        if status != .ok { throw status.exitCode }
        let failed = (results.a.cells + results.b.cells).contains { $0.status == .failed }
        if failed { throw SurgeExitCode.cellFailed.exitCode }
    }

    /// `<out>/<run id without -A>-ab`.
    static func defaultReportDirectory(_ aPath: String) -> String {
        var stem = ((aPath as NSString).lastPathComponent as NSString).deletingPathExtension
        if let r = stem.range(of: "-A", options: .backwards) { stem.removeSubrange(r) }
        return ((aPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("\(stem)-ab")
    }

    /// Compares, prints the text comparison, writes the report; returns the exit status of the verdict.
    static func judge(
        _ a: RunResult, _ b: RunResult, paths: (a: String, b: String), request: ComparisonRequest, stopReason: String?,
        reportDirectory: String?
    ) throws -> SurgeExitCode {
        let comparison: ABComparison
        do {
            comparison = try ABComparison.compare(a: a, b: b, request)
        } catch {
            throw fail("\(error)")
        }
        let report = ABReport(
            comparison: comparison, a: a, b: b, aPath: paths.a, bPath: paths.b, stopReason: stopReason)
        print(report.text(), terminator: "")
        if let reportDirectory {
            do {
                let written = try ReportWriter().write(report, to: reportDirectory)
                print(
                    "report: \(written.htmlPath), \(written.markdownPath) and ab.txt (\(written.chartCount) forest plots)"
                )
                if let note = written.chartsNote { print("note: \(note)") }
            } catch {
                FileHandle.standardError.write(
                    Data("surge ab: the results are saved, but the report could not be written: \(error)\n".utf8))
            }
        }
        return comparison.status == .regression ? .regression : .ok
    }

    /// `--until-decided`: one more round at a time for the undecided cells, within the budget.
    private func addRounds(
        _ runner: ABRunner, request: ComparisonRequest, since started: ContinuousClock.Instant,
        clock: ContinuousClock
    ) async -> String {
        let budget = Durations.parse(self.budget) ?? 600
        var done = rounds
        var lastRound = Self.seconds(clock.now - started) / Double(max(1, rounds))
        while true {
            let (a, b) = runner.snapshots
            guard let comparison = try? ABComparison.compare(a: a, b: b, request) else {
                return "stopped after \(done): nothing to compare"
            }
            let undecided = comparison.undecidedRows
            let cells = a.cells.indices.filter { undecided.contains(RunResultRecords.benchmarkName(a.cells[$0])) }
            if cells.isEmpty {
                return "decided after \(done) rounds (every gated interval inside or outside its threshold band)"
            }
            let elapsed = Self.seconds(clock.now - started)
            if done >= maxRounds || elapsed + lastRound > budget {
                return
                    "undecided after \(done) rounds (\(cells.count) cells): the budget of \(self.budget) or --max-rounds \(maxRounds) is spent"
            }
            if runner.pipeline.wasInterrupted { return "interrupted after \(done) rounds" }
            let before = clock.now
            await runner.run(rounds: (done + 1)...(done + 1), cells: cells)
            done += 1
            lastRound = Self.seconds(clock.now - before)
            print("surge ab: round \(done) for \(cells.count) undecided cell\(cells.count == 1 ? "" : "s")")
        }
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto) / 1e18
    }

    private func plans(_ scenario: Scenario) throws -> (ABSidePlan, ABSidePlan) {
        let builder = RevisionBuilder(
            cacheDirectory: buildCache, spec: scenario.build,
            scenarioDirectory: (scenario.file as NSString).deletingLastPathComponent)
        let log: (String) -> Void = { FileHandle.standardError.write(Data("surge ab: \($0)\n".utf8)) }
        var planA: ABSidePlan
        var planB: ABSidePlan
        do {
            planA = try ABSide(parsing: a, option: "--a").plan(given: a, scenario: scenario, builder: builder, log: log)
            planB = try ABSide(parsing: b, option: "--b").plan(given: b, scenario: scenario, builder: builder, log: log)
        } catch {
            throw Self.fail("\(error)")
        }
        let shared = try RunCommand.parseTargetOptions(targetOptions)
        planA.override(
            options: shared.merging(try RunCommand.parseTargetOptions(aOptions, option: "--a-option")) { $1 },
            probes: try aProbes.map { try RunCommand.probeList($0, option: "--a-probes") })
        planB.override(
            options: shared.merging(try RunCommand.parseTargetOptions(bOptions, option: "--b-option")) { $1 },
            probes: try bProbes.map { try RunCommand.probeList($0, option: "--b-probes") })
        if let f = cellFilter, !f.isEmpty {
            planA.cells = planA.cells.filter { $0.name.contains(f) }
            planB.cells = planB.cells.filter { $0.name.contains(f) }
        }
        if planA.cells.isEmpty { throw Self.fail("no cell to measure (check --filter and the scenario's matrix)") }
        if planA.cells.map(\.name) != planB.cells.map(\.name) {
            throw Self.fail(
                "A and B measure different cells (\(planA.cells.count) vs \(planB.cells.count)); "
                    + "give two targets, two commands or two builds of one scenario")
        }
        return (planA, planB)
    }

    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("surge ab: \(message)\n".utf8))
        return SurgeExitCode.badInput.exitCode
    }
}
