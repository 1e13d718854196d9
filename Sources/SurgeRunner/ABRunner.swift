import Foundation
import SurgeResults
import SurgeScenario

/// What one side of a `surge ab` measures: its cells (the same names on both sides), the targets
/// behind them and, for `rev:`/`build:` sides, the `surge` that serves built-in components.
public struct ABSidePlan: Sendable {
    /// As given on the command line (`surge-broker`, `cmd:nats-server -p {port}`, `rev:main`).
    public var given: String
    public var cells: [Cell]
    public var targets: [TargetSpec]
    public var surgeExecutable: String?
    /// The commit a `rev:` side was built from.
    public var commit: String?
    /// Speed-pass probes of this side instead of the scenario's (`--a-probes`/`--b-probes`).
    public var probes: [String]?

    public init(
        given: String, cells: [Cell], targets: [TargetSpec], surgeExecutable: String? = nil, commit: String? = nil
    ) {
        self.given = given
        self.cells = cells
        self.targets = targets
        self.surgeExecutable = surgeExecutable
        self.commit = commit
    }
}

/// `surge ab`: A and B of every cell in rounds, each visit with a freshly started target and the
/// same CPU pinning, through the run pipeline (two sides, two result files linked by `ab` records).
///
/// Round k of every cell runs before round k+1; within a round a cell's A and B run back to back,
/// in ABBA order (AB, BA, AB, ...) or in a seeded random order. `run(rounds:cells:)` may be called
/// again with later rounds for the cells still undecided (`--until-decided`).
public final class ABRunner: Sendable {
    public let scenario: Scenario
    public let order: ABOrder
    public let seed: UInt64
    public let pipeline: RunPipeline
    private let plans: [ABSidePlan]

    public init(
        scenario: Scenario, options: RunOptions, a: ABSidePlan, b: ABSidePlan, order: ABOrder, seed: UInt64,
        rounds: Int, progress: ProgressDisplay
    ) {
        self.scenario = scenario
        self.order = order
        self.seed = seed
        plans = [a, b]
        let stamp = ScenarioRunner.timestamp(Date())
        var settings = PipelineSettings(
            warmup: options.warmup ?? scenario.warmup, repetitions: rounds, lifetime: .visit)
        settings.profilePass = false
        settings.reportEachCell = false
        let sides = [a, b].enumerated().map { i, plan -> RunSide in
            let label = i == 0 ? "A" : "B"
            var result = ScenarioRunner.newResult(
                scenario: scenario, options: options, runID: "\(stamp)-\(scenario.name)-\(label)", targets: plan.targets
            )
            result.schedule = ScheduleRecord(
                order: order == .abba ? "abba" : "ab-random", seed: order == .random ? seed : nil,
                targetLifetime: "visit")
            return RunSide(
                label: label, cells: plan.cells, result: result, surgeExecutable: plan.surgeExecutable,
                probes: plan.probes)
        }
        pipeline = RunPipeline(
            scenario: scenario, options: options, settings: settings, sides: sides, progress: progress)
    }

    public var resultPaths: (a: String, b: String) {
        let p = pipeline.resultPaths
        return (p[0], p[1])
    }

    public var cellCount: Int { plans[0].cells.count }

    /// What the command line gave for A and B, with their own options and probes, as the `ab` records hold it.
    public var sideTexts: (a: String, b: String) { (plans[0].given, plans[1].given) }

    public func start() throws { try pipeline.start() }

    /// Rounds `rounds` of the cells at `cells` (all when nil).
    public func run(rounds: ClosedRange<Int>, cells: [Int]? = nil) async {
        let which = cells ?? Array(0..<cellCount)
        await pipeline.execute(RunSchedule.abRounds(cells: which, rounds: rounds, order: order, seed: seed))
    }

    public var snapshots: (a: RunResult, b: RunResult) { (pipeline.snapshot(0), pipeline.snapshot(1)) }

    public func interrupt(by cause: String = "Ctrl-C") { pipeline.interrupt(by: cause) }

    /// Links the two files with `ab` records and writes them; throws when a write fails.
    public func finish() async throws -> (a: RunResult, b: RunResult) {
        let paths = pipeline.resultPaths
        let ids = [pipeline.snapshot(0).runID, pipeline.snapshot(1).runID]
        var rounds: [String: [String]] = [:]
        for (i, cell) in plans[0].cells.enumerated() {
            let done = pipeline.snapshot(0).cells[i].samples.filter { $0.pass == "speed" }.map(\.repetition)
            let last = max(done.max() ?? 0, pipeline.snapshot(1).cells[i].samples.map(\.repetition).max() ?? 0)
            rounds[cell.name] =
                last == 0
                ? []
                : (1...last).map {
                    RunSchedule.roundText(cell: i, round: $0, order: order, seed: seed)
                }
        }
        var commits: [String: String] = [:]
        if let c = plans[0].commit { commits["A"] = c }
        if let c = plans[1].commit { commits["B"] = c }
        for side in 0...1 {
            let record = ABRecord(
                side: side == 0 ? "A" : "B", a: plans[0].given, b: plans[1].given, otherFile: paths[1 - side],
                otherRunID: ids[1 - side], order: order.rawValue, seed: order == .random ? seed : nil, rounds: rounds,
                commits: commits.isEmpty ? nil : commits)
            pipeline.annotate(side) { $0.ab = record }
        }
        let results = try await pipeline.finish()
        return (results[0], results[1])
    }
}
