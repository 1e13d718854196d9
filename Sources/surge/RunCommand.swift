import ArgumentParser
import Foundation
import SurgeHistory
import SurgeProbes
import SurgeProfile
import SurgeResults
import SurgeRunner
import SurgeScenario

/// `surge run SCENARIO`: drives the target through every cell and writes the result file.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario: every cell of its matrix, measured, written to a result file.",
        discussion: """
            Writes Reports/runs/<time>-<scenario>.json (schema surge.run/v1) after every repetition, \
            so an interrupted run still leaves every finished repetition; --benchfmt also writes the \
            same run in Go benchmark format (.txt) for Go's benchstat. The visits follow the scenario's \
            `order` (or --order): sequential (every repetition of a cell, then the next, one target per cell), \
            interleaved (repetition 1 of every cell, then 2, ...) or random (seeded), a fresh target per visit \
            unless the scenario says `target-lifetime: run`. Ctrl-C stops the current cell, \
            skips the rest and writes the file. Exit status: 0 all cells ok, 1 bad scenario or usage, \
            4 some cells failed, 130 interrupted.
            """
    )

    @Argument(help: "The scenario file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var scenario: String

    @Option(name: .customLong("out"), help: "Directory for the result files.")
    var outputDirectory = "Reports/runs"

    @Option(parsing: .unconditional, help: "Repetitions per cell (overrides the scenario's `repetitions`).")
    var repetitions: Int?

    @Option(help: "Warm-up per cell, e.g. 500ms or 2s (overrides the scenario's `warmup`).")
    var warmup: String?

    @Option(name: .customLong("filter"), help: "Run only the cells whose benchmark name contains this text.")
    var cellFilter: String?

    @Option(help: ArgumentHelp(
        "Run only slice i of n of the matrix, balanced by expected cost and the same on every machine; join the shards' files with `surge merge`.",
        valueName: "i/n"))
    var shard: String?

    @Option(help: "Event-loop threads for the load generator (default: the CPUs it may use).")
    var loadThreads: Int?

    @Option(help: ArgumentHelp(
        "Probes to attach instead of the scenario's (comma-separated: syscalls, syscall-latency, allocations, cpu, memory, context-switches; 'none' for no probes).",
        valueName: "list"))
    var probes: String?

    @OptionGroup var profiling: ProfileFlags

    @Option(name: .customLong("target-option"), help: ArgumentHelp(
        "Set an option of every built-in component target over the scenario's, e.g. 'handicap-ns=5000' (repeatable).",
        valueName: "key=value"))
    var targetOptions: [String] = []

    @Flag(inversion: .prefixedNo, help: "Also write the run in Go benchmark format (.txt beside the .json).")
    var benchfmt = true

    @Option(name: .customLong("report"), help: ArgumentHelp(
        "Also write the run's report (index.html and report.md, with gnuplot charts) to this directory.",
        valueName: "dir"))
    var reportDirectory: String?

    @Option(help: ArgumentHelp(
        "Order of visits: sequential (every repetition of a cell, then the next), interleaved (repetition 1 of every cell, then 2, ...) or random (seeded); overrides the scenario's `order`.",
        valueName: "order"))
    var order: String?

    @Option(help: "Seed of --order random (default: drawn, printed and recorded in the result).")
    var seed: UInt64?

    @Flag(name: .shortAndLong, help: "No progress display, only the final table.")
    var quiet = false

    @Flag(help: "Also append the run to the history database (see `surge history`).")
    var history = false
    @Option(name: .customLong("history-db"), help: HistoryAccess.help)
    var historyDatabase: String?

    func validate() throws {
        if let r = repetitions, r < 1 { throw ValidationError("--repetitions must be at least 1, found \(r)") }
        // A bad history URL is found before the run, not after it.
        if history {
            do { _ = try HistoryLocation.resolve(option: historyDatabase) } catch { throw ValidationError("\(error)") }
        }
        if let w = warmup, Durations.parse(w) == nil { throw ValidationError("--warmup: expected a duration like 500ms or 2s, found '\(w)'") }
        if let t = loadThreads, t < 1 { throw ValidationError("--load-threads must be at least 1") }
        if let p = probes {
            _ = try Self.probeList(p, option: "--probes")
        }
        _ = try Self.parseTargetOptions(targetOptions)
        if let shard {
            do { _ = try ShardSpec(parsing: shard) } catch { throw ValidationError(error.description) }
        }
        if let order, RunOrder(rawValue: order) == nil {
            throw ValidationError("--order: expected sequential, interleaved or random, found '\(order)'")
        }
    }

    /// `key=value` pairs of `--target-option`.
    static func parseTargetOptions(_ texts: [String], option: String = "--target-option") throws -> [String: String] {
        var out: [String: String] = [:]
        for text in texts {
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw ValidationError("\(option) '\(text)': expected key=value, e.g. handicap-ns=5000")
            }
            out[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        return out
    }

    /// The probe names of `--probes LIST` (comma-separated; `none` for none), checked.
    static func probeList(_ text: String, option: String) throws -> [String] {
        if text == "none" { return [] }
        do { _ = try ProbeKind.parseList(text) } catch { throw ValidationError("\(option): \(error)") }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Loads and validates a scenario, printing every problem (file:line:column) and exiting 1 on any.
    static func loadScenario(_ path: String) throws -> Scenario {
        ComponentCatalog.register()
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.load(path: path)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        let problems = ScenarioValidator.diagnostics(for: scenario)
        if !problems.isEmpty {
            FileHandle.standardError.write(Data((problems.map(\.description).joined(separator: "\n") + "\n").utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        return scenario
    }

    func run() async throws {
        let scenario = try Self.loadScenario(self.scenario)
        var options = RunOptions(surgeExecutable: SurgeExecutable.path, surgeVersion: SurgeVersion.string)
        options.outputDirectory = outputDirectory
        options.repetitions = repetitions
        options.warmup = warmup.flatMap(Durations.parse)
        options.cellFilter = cellFilter
        options.loadThreads = loadThreads
        options.shard = try shard.map { try ShardSpec(parsing: $0) }
        options.targetOptions = try Self.parseTargetOptions(targetOptions)
        options.order = order.flatMap(RunOrder.init(rawValue:))
        options.seed = seed
        options.probes = try probes.map { try Self.probeList($0, option: "--probes") }
        profiling.apply(to: &options)
        let progress = ProgressDisplay(quiet: quiet)
        let runner = ScenarioRunner(scenario: scenario, options: options, progress: progress)
        if runner.cells.isEmpty, let shard = options.shard, !runner.unshardedCells.isEmpty {
            FileHandle.standardError.write(Data("surge: shard \(shard) of \(scenario.file) has no cell (the matrix has \(runner.unshardedCells.count)); use fewer shards\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        if runner.cells.isEmpty {
            FileHandle.standardError.write(Data("surge: no cell of \(scenario.file) matches --filter '\(cellFilter ?? "")'\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        let interrupts = InterruptHandler { runner.interrupt(by: $0) }
        defer { interrupts.cancel() }

        let result: RunResult
        do {
            result = try await runner.run()
        } catch {
            FileHandle.standardError.write(Data("surge: \(error)\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        print(RunSummaryTable.render(result))
        print("\nresult: \(runner.resultPath)")
        var sinks: [any RunSink] = []
        if benchfmt { sinks.append(BenchFmtSink()) }
        if let reportDirectory { sinks.append(ReportSink(directory: reportDirectory)) }
        _ = RunSinks.deliver(sinks, run: result, resultPath: runner.resultPath)
        for note in result.notes { print("note: \(note)") }
        let unsaved = runner.unsavedResults
        if !unsaved.isEmpty {
            for text in unsaved { FileHandle.standardError.write(Data("surge: \(text)\n".utf8)) }
            throw SurgeExitCode.badInput.exitCode
        }
        if history, let location = try? HistoryLocation.resolve(option: historyDatabase) {
            _ = await HistorySink(location: location).deliver(result, resultPath: runner.resultPath)
        }
        if result.status == .interrupted { throw SurgeExitCode.interrupted.exitCode }
        if result.cells.contains(where: { $0.status == .failed }) { throw SurgeExitCode.cellFailed.exitCode }
    }
}

/// Turns SIGINT/SIGTERM into a call (the first one) naming it ("Ctrl-C" or "SIGTERM"); a second
/// signal exits at once.
final class InterruptHandler: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []

    init(_ action: @escaping @Sendable (_ cause: String) -> Void) {
        let count = Counter()
        for sig in [SIGINT, SIGTERM] {
            let cause = sig == SIGINT ? "Ctrl-C" : "SIGTERM"
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if count.increment() > 1 {
                    FileHandle.standardError.write(Data("\nsurge: interrupted again; detaching probes and exiting now\n".utf8))
                    ProbeRegistry.closeAll()
                    exit(130)
                }
                let text = "\nsurge: interrupted (\(cause)); stopping the current cell and writing the result "
                    + "(Ctrl-C again to quit at once)\n"
                FileHandle.standardError.write(Data(text.utf8))
                action(cause)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        sources.forEach { $0.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func increment() -> Int { lock.withLock { n += 1; return n } }
    }
}

/// The path of the running surge binary, used to start `surge serve` targets.
enum SurgeExecutable {
    static var path: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
