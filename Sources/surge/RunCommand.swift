import ArgumentParser
import Foundation
import SurgeProbes
import SurgeProfile
import SurgeReport
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
            same run in Go benchmark format (.txt) for Go's benchstat. Ctrl-C stops the current cell, \
            skips the rest and writes the file. Exit status: 0 all cells ok, 1 bad scenario or usage, \
            4 some cells failed, 130 interrupted.
            """
    )

    @Argument(help: "The scenario file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var scenario: String

    @Option(name: .customLong("out"), help: "Directory for the result files.")
    var outputDirectory = "Reports/runs"

    @Option(help: "Repetitions per cell (overrides the scenario's `repetitions`).")
    var repetitions: Int?

    @Option(help: "Warm-up per cell, e.g. 500ms or 2s (overrides the scenario's `warmup`).")
    var warmup: String?

    @Option(name: .customLong("filter"), help: "Run only the cells whose benchmark name contains this text.")
    var cellFilter: String?

    @Option(help: "Event-loop threads for the load generator (default: the CPUs it may use).")
    var loadThreads: Int?

    @Option(help: ArgumentHelp(
        "Probes to attach instead of the scenario's (comma-separated: syscalls, syscall-latency, allocations, cpu, memory, context-switches; 'none' for no probes).",
        valueName: "list"))
    var probes: String?

    @Option(help: ArgumentHelp(
        "Stack profiles per cell in the profile pass, instead of the scenario's 'profile' (comma-separated: cpu, off-cpu, allocations; 'none').",
        valueName: "list"))
    var profile: String?

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

    @Flag(name: .shortAndLong, help: "No progress display, only the final table.")
    var quiet = false

    @Flag(help: "Also append the run to the history database (see `surge history`).")
    var history = false
    @Option(name: .customLong("history-db"), help: "The history database for --history.")
    var historyDatabase = HistoryStore.defaultPath

    func validate() throws {
        if let r = repetitions, r < 1 { throw ValidationError("--repetitions must be at least 1") }
        if let w = warmup, Durations.parse(w) == nil { throw ValidationError("--warmup: expected a duration like 500ms or 2s, found '\(w)'") }
        if let t = loadThreads, t < 1 { throw ValidationError("--load-threads must be at least 1") }
        if let p = probes, p != "none" {
            do { _ = try ProbeKind.parseList(p) } catch { throw ValidationError("--probes: \(error)") }
        }
        if let p = profile, p != "none" {
            do { _ = try ProfileKind.parseList(p) } catch { throw ValidationError("--profile: \(error)") }
        }
        _ = try Self.parseTargetOptions(targetOptions)
    }

    /// `key=value` pairs of `--target-option`.
    static func parseTargetOptions(_ texts: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for text in texts {
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw ValidationError("--target-option '\(text)': expected key=value, e.g. handicap-ns=5000")
            }
            out[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        return out
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
        options.targetOptions = try Self.parseTargetOptions(targetOptions)
        options.probes = probes.map { $0 == "none" ? [] : $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        options.profile = profile.map { $0 == "none" ? [] : $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let progress = ProgressDisplay(quiet: quiet)
        let runner = ScenarioRunner(scenario: scenario, options: options, progress: progress)
        if runner.cells.isEmpty {
            FileHandle.standardError.write(Data("surge: no cell of \(scenario.file) matches --filter '\(cellFilter ?? "")'\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        let interrupts = InterruptHandler { runner.interrupt() }
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
        if benchfmt {
            let txt = (runner.resultPath as NSString).deletingPathExtension + ".txt"
            do {
                try AtomicFile.write(Data(BenchFmtWriter.write(result).utf8), to: txt)
                print("go benchmark format: \(txt)")
            } catch {
                FileHandle.standardError.write(Data("surge: \(error)\n".utf8))
            }
        }
        if let reportDirectory {
            do {
                let report = try RunReport(run: result, runPath: runner.resultPath, baseline: nil, baselinePath: nil)
                let written = try ReportWriter(gnuplot: GnuplotRenderer()).write(report, to: reportDirectory)
                print("report: \(written.htmlPath) and \(written.markdownPath) (\(written.chartCount) charts)")
                if let note = written.chartsNote { print("note: \(note)") }
            } catch {
                FileHandle.standardError.write(Data("surge: the run is saved, but its report could not be written: \(error)\n".utf8))
            }
        }
        for note in result.notes { print("note: \(note)") }
        if history {
            do {
                try HistoryStore(path: historyDatabase).add(result, sourcePath: runner.resultPath)
                print("history: \(historyDatabase)")
            } catch {
                FileHandle.standardError.write(Data("surge: --history: \(error)\n".utf8))
            }
        }
        if result.status == .interrupted { throw SurgeExitCode.interrupted.exitCode }
        if result.cells.contains(where: { $0.status == .failed }) { throw SurgeExitCode.cellFailed.exitCode }
    }
}

/// Turns SIGINT/SIGTERM into a call (the first one); a second Ctrl-C exits at once.
final class InterruptHandler: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []

    init(_ action: @escaping @Sendable () -> Void) {
        let count = Counter()
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if count.increment() > 1 {
                    FileHandle.standardError.write(Data("\nsurge: interrupted again; detaching probes and exiting now\n".utf8))
                    ProbeRegistry.closeAll()
                    exit(130)
                }
                FileHandle.standardError.write(Data("\nsurge: interrupted; stopping the current cell and writing the result (Ctrl-C again to quit at once)\n".utf8))
                action()
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
