import Foundation
import SurgeLoad
import SurgeResults
import SurgeScenario
import Synchronization

/// How `surge run` runs a scenario.
public struct RunOptions: Sendable {
    /// Where result files go (`Reports/runs`).
    public var outputDirectory: String = "Reports/runs"
    public var repetitions: Int?
    public var warmup: Double?
    /// Only cells whose benchmark name contains this text.
    public var cellFilter: String?
    /// The `surge` executable that serves built-in components (`surge serve <component>`).
    public var surgeExecutable: String
    public var surgeVersion: String
    /// Event-loop threads of the load generator (default: the CPUs it may use).
    public var loadThreads: Int?
    /// Probes to attach instead of the scenario's `probes` (empty: none).
    public var probes: [String]?
    /// Stack profiles to take instead of the scenario's `profile` (empty: none).
    public var profile: [String]?
    /// Options set on every built-in component target over the scenario's (`--target-option`), e.g.
    /// `handicap-ns=5000` for a canary run. Cell names stay as they are, so the run compares with one
    /// made without them; the run's notes record the override.
    public var targetOptions: [String: String] = [:]
    /// Run only this slice of the matrix (`--shard i/n`, see `ShardPlan`).
    public var shard: ShardSpec?
    /// `--order` over the scenario's `order:`.
    public var order: RunOrder?
    /// The seed of `random` order (default: drawn, printed and recorded).
    public var seed: UInt64?

    public init(surgeExecutable: String, surgeVersion: String) {
        self.surgeExecutable = surgeExecutable
        self.surgeVersion = surgeVersion
    }
}

/// `surge run`: every cell of a scenario, in the schedule's order, through the run pipeline.
///
/// The schedule (`order:` / `--order`) lists the visits; `RunPipeline` executes them: for each, the
/// cell's target is started (or kept, `target-lifetime: run`, the default for sequential order),
/// warmed up and measured for one repetition. A crash, a hang (the scenario's `timeout`) or Ctrl-C
/// fails the cell with the reason and the target's last stderr lines; the other cells go on (after
/// Ctrl-C they are skipped). After every repetition the result file is rewritten atomically, so
/// whatever happens it holds every finished repetition.
public final class ScenarioRunner: Sendable {
    public let scenario: Scenario
    public let options: RunOptions
    private let progress: ProgressDisplay
    private let initial: RunResult
    private let pipeline = Mutex<RunPipeline?>(nil)
    /// What interrupted the run before its pipeline existed, if anything.
    private let interruptedEarly = Mutex<String?>(nil)

    public init(scenario: Scenario, options: RunOptions, progress: ProgressDisplay) {
        self.scenario = scenario
        self.options = options
        self.progress = progress
        let runID = "\(Self.timestamp(Date()))-\(scenario.name)" + (options.shard.map { "-shard\($0.index)of\($0.count)" } ?? "")
        var first = Self.newResult(scenario: scenario, options: options, runID: runID, targets: scenario.targets)
        if let shard = options.shard {
            first.shard = ShardRecord(
                index: shard.index, count: shard.count, allCells: Self.filteredCells(scenario, options).map(\.name))
        }
        initial = first
    }

    /// An empty result for a run of `scenario` measuring `targets`.
    public static func newResult(scenario: Scenario, options: RunOptions, runID: String, targets: [TargetSpec])
        -> RunResult
    {
        let target: TargetInfo
        if targets.count == 1, case .component(let c) = targets[0].kind {
            target = TargetInfo(kind: "component", component: c)
        } else if targets.count == 1, case .workloadOwned = targets[0].kind {
            target = TargetInfo(kind: "none")
        } else if targets.count == 1, case .command(let argv) = targets[0].kind {
            target = TargetInfo(kind: "command", command: argv.map(\.text))
        } else {
            target = TargetInfo(kind: "matrix", component: targets.map(\.name).joined(separator: ","))
        }
        return RunResult(
            runID: runID, startedAt: Date(),
            scenario: ScenarioInfo(
                name: scenario.name, file: scenario.file, sha256: scenario.sha256, description: scenario.description,
                thresholds: scenario.thresholds),
            source: HostInspector.sourceInfo(), host: HostInspector.hostInfo(surgeVersion: options.surgeVersion),
            target: target)
    }

    /// Where the result is written: `<out>/<stamp>-<scenario>[-N].json`, claimed when the run starts.
    /// The final writes that failed and where the run went instead (see `RunPipeline.unsavedResults`).
    public var unsavedResults: [String] { pipeline.withLock { $0 }?.unsavedResults ?? [] }

    public var resultPath: String {
        pipeline.withLock { $0?.resultPaths[0] }
            ?? (options.outputDirectory as NSString).appendingPathComponent("\(initial.runID).json")
    }

    /// The cells this run will attempt (after `--filter` and `--shard`). With a `build:` section, `{build}` is the
    /// repository's own checkout (as it is; `surge ab --a rev:X` builds revisions).
    public var cells: [Cell] {
        guard let shard = options.shard else { return unshardedCells }
        return ShardPlan.cells(unshardedCells, in: scenario, for: shard)
    }

    /// The cells of the whole run (after `--filter`), of which `--shard` takes a slice.
    public var unshardedCells: [Cell] { Self.filteredCells(scenario, options) }

    static func filteredCells(_ scenario: Scenario, _ options: RunOptions) -> [Cell] {
        var all = scenario.cells()
        if let build = scenario.build {
            let dir = (scenario.file as NSString).deletingLastPathComponent
            let path =
                build.repository.hasPrefix("/")
                ? build.repository : (dir as NSString).appendingPathComponent(build.repository)
            for i in all.indices { all[i].target = all[i].target.withBuild(path) }
        }
        if !options.targetOptions.isEmpty {
            for i in all.indices where !all[i].target.isCommand {
                all[i].target.options.merge(options.targetOptions) { _, override in override }
            }
        }
        guard let f = options.cellFilter, !f.isEmpty else { return all }
        return all.filter { $0.name.contains(f) }
    }

    /// The order in effect and its target lifetime.
    public var order: RunOrder { options.order ?? scenario.order }
    public var lifetime: TargetLifetime { scenario.targetLifetime ?? (order == .sequential ? .run : .visit) }

    /// Asks the run to stop: the current cell's target is stopped, the remaining cells are skipped.
    public func interrupt(by cause: String = "Ctrl-C") {
        interruptedEarly.withLock { $0 = $0 ?? cause }
        pipeline.withLock { $0 }?.interrupt(by: cause)
    }

    /// The PID of the target being measured now, if any.
    public var currentTargetPID: pid_t? { pipeline.withLock { $0 }?.currentTargetPID }

    public var snapshot: RunResult { pipeline.withLock { $0 }?.snapshot(0) ?? initial }

    /// Runs every cell and returns the final result (also written to `resultPath`).
    public func run() async throws -> RunResult {
        let cells = self.cells
        let repetitions = options.repetitions ?? scenario.repetitions
        var settings = PipelineSettings(
            warmup: options.warmup ?? scenario.warmup, repetitions: repetitions, lifetime: lifetime)
        settings.reportEachCell = true
        let seed = options.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        var first = initial
        first.schedule = ScheduleRecord(
            order: order.rawValue, seed: order == .random ? seed : nil, targetLifetime: lifetime.rawValue)
        let pipeline = RunPipeline(
            scenario: scenario, options: options, settings: settings,
            sides: [RunSide(label: "", cells: cells, result: first)], progress: progress)
        self.pipeline.withLock { $0 = pipeline }
        if let cause = interruptedEarly.withLock({ $0 }) { pipeline.interrupt(by: cause) }
        try pipeline.start()
        if order == .random { pipeline.note("random order, seed \(seed) (repeat it with --seed \(seed))") }
        await pipeline.execute(
            RunSchedule.visits(cells: cells.count, repetitions: repetitions, order: order, seed: seed))
        return try await pipeline.finish()[0]
    }

    static func sample(_ rep: Int, _ outcome: WorkloadOutcome, before: TargetStats?, after: TargetStats?) -> Sample {
        var metrics = outcome.metrics
        if metrics["ns/op"] == nil, outcome.operations > 0 {
            metrics["ns/op"] = outcome.elapsedSeconds * 1e9 / Double(outcome.operations)
        }
        var counters: [String: Double]?
        if let before, let after {
            counters = TargetCounters.delta(before: before, after: after)
        }
        return Sample(
            repetition: rep, operations: outcome.operations, elapsedSeconds: outcome.elapsedSeconds, metrics: metrics,
            latencyHistogram: outcome.latency.map(HistogramCodec.encode), targetCounters: counters)
    }

    public static func timestamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : String(format: "%.2f s", s) }
}
