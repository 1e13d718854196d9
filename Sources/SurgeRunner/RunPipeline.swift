import Foundation
import NIOCore
import NIOPosix
import SurgeLoad
import SurgeResults
import SurgeScenario
import Synchronization

/// One set of cells measured into one result file. A plain run has one side; `surge ab` has two.
public struct RunSide: Sendable {
    /// `""` for a plain run, `A` or `B`.
    public var label: String
    public var cells: [Cell]
    public var result: RunResult
    /// Serves this side's built-in components (`rev:`/`build:` sides bring their own `surge`).
    public var surgeExecutable: String?
    /// Speed-pass probes of this side instead of the run's (`surge ab --a-probes`/`--b-probes`).
    public var probes: [String]?

    public init(
        label: String, cells: [Cell], result: RunResult, surgeExecutable: String? = nil, probes: [String]? = nil
    ) {
        self.label = label
        self.cells = cells
        self.result = result
        self.surgeExecutable = surgeExecutable
        self.probes = probes
    }
}

/// How a pipeline measures: shared by every side.
public struct PipelineSettings: Sendable {
    public var warmup: Double
    /// Repetitions planned per cell (more may be added: `--until-decided`).
    public var repetitions: Int
    public var lifetime: TargetLifetime
    /// The profile pass after a cell's last visit (not in A/B rounds).
    public var profilePass = true
    /// Print each cell's line when its last visit of a batch is done (else at `finish`).
    public var reportEachCell = true

    public init(warmup: Double, repetitions: Int, lifetime: TargetLifetime) {
        self.warmup = warmup
        self.repetitions = repetitions
        self.lifetime = lifetime
    }
}

/// The run pipeline: executes a schedule's visits over the sides' cells and feeds the result files.
///
/// `start` claims the result files; `execute` runs a list of visits (callable again to add visits);
/// `finish` settles every cell's status and writes the final files. A visit opens the cell's target
/// when none is up (start, ready, warm-up), measures one repetition and records it, and closes the
/// target after the visit (`target-lifetime: visit`) or after the cell's last visit (`run`). Every
/// sample rewrites its side's file atomically; a failed write is reported on standard error at once
/// and the final one fails `finish`. A failure fails that cell only; Ctrl-C stops the current visit
/// and the rest are not made.
public final class RunPipeline: Sendable {
    struct Key: Hashable {
        var side: Int
        var cell: Int
    }

    private struct State {
        var sides: [RunSide]
        var paths: [String]
        var interrupted = false
        /// What interrupted the run: "Ctrl-C" (SIGINT) or "SIGTERM".
        var interruptedBy = "Ctrl-C"
        var currentTarget: TargetProcess?
        var visits = 0
        var planned: [Key: Int] = [:]
        var group: MultiThreadedEventLoopGroup?
        var reportedWrites: Set<String> = []
        /// Final writes that failed, each with where the run was saved instead.
        var unsaved: [String] = []
    }

    public let scenario: Scenario
    public let options: RunOptions
    let settings: PipelineSettings
    let progress: ProgressDisplay
    private let state: Mutex<State>

    public init(
        scenario: Scenario, options: RunOptions, settings: PipelineSettings, sides: [RunSide], progress: ProgressDisplay
    ) {
        self.scenario = scenario
        self.options = options
        self.settings = settings
        self.progress = progress
        let paths = sides.map {
            (options.outputDirectory as NSString).appendingPathComponent("\($0.result.runID).json")
        }
        var sides = sides
        for i in sides.indices where sides[i].result.cells.isEmpty {
            sides[i].result.cells = sides[i].cells.map(Self.cellResult)
        }
        state = Mutex(State(sides: sides, paths: paths))
    }

    static func cellResult(_ cell: Cell) -> CellResult {
        var result = CellResult(
            name: cell.name, parameters: cell.parameters.map { CellParameter(name: $0.name, value: $0.value) })
        result.workloadKind = cell.workloadKind
        guard let kind = WorkloadRegistry.type(forKind: cell.workloadKind) else { return result }
        if !kind.keyMetrics.isEmpty {
            result.keyMetrics = Dictionary(kind.keyMetrics.map { ($0.name, $0.thresholdText) }) { a, _ in a }
        }
        // The offered rate: the cell's `rate:`, else the kind's default (mesh.churn has one).
        if let spec = kind.parameters.first(where: { $0.name == "rate" }) {
            if case .scalar(let text)? = cell.workload["rate"] {
                result.offeredRate = Double(text)
            } else if let text = spec.defaultValue {
                result.offeredRate = Double(text)
            }
        }
        return result
    }

    public var resultPaths: [String] { state.withLock { $0.paths } }

    public func snapshot(_ side: Int) -> RunResult { state.withLock { $0.sides[side].result } }

    /// Changes a side's result before `finish` writes it (the `ab` record).
    public func annotate(_ side: Int, _ body: (inout RunResult) -> Void) {
        state.withLock { body(&$0.sides[side].result) }
    }

    public var cellsPerSide: [Int] { state.withLock { $0.sides.map(\.cells.count) } }

    /// Claims a result file per side (ids no other run holds), pins the load generator, writes the
    /// first files. Throws when a file cannot be written.
    public func start() throws {
        let count = state.withLock { $0.sides.count }
        for side in 0..<count {
            let base = state.withLock { $0.sides[side].result.runID }
            let claim = RunFileClaim.claim(directory: options.outputDirectory, base: base)
            state.withLock {
                $0.sides[side].result.runID = claim.runID
                $0.paths[side] = claim.path
            }
        }
        if let load = scenario.cpus?.load, !load.isEmpty, let problem = CPUAffinity.pinProcess(to: load) {
            note("cpus.load not applied: \(problem)")
        }
        let threads =
            options.loadThreads ?? max(1, scenario.cpus?.load.count ?? ProcessInfo.processInfo.activeProcessorCount)
        state.withLock { $0.group = MultiThreadedEventLoopGroup(numberOfThreads: threads) }
        mutateAll { run in
            run.probeMethods = ["msgs/s": "driver", "req/s": "driver", "p50-ns": "driver", "p99-ns": "driver"]
        }
        if !options.targetOptions.isEmpty {
            let text = options.targetOptions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                separator: " ")
            note("target options set by --target-option over the scenario's: \(text)")
        }
        for side in 0..<count { try write(side) }
        let cells = state.withLock { $0.sides.reduce(0) { $0 + $1.cells.count } }
        progress.begin(
            scenario: scenario.name, cells: cells, repetitions: settings.repetitions,
            resultPath: resultPaths.joined(separator: " and "))
    }

    /// Runs `visits` in order. Never throws: failures become cell statuses.
    public func execute(_ visits: [Visit]) async {
        guard let group = state.withLock({ $0.group }) else { return }
        var last: [Key: Int] = [:]
        for (i, v) in visits.enumerated() { last[Key(side: v.side, cell: v.cell)] = i }
        state.withLock { s in for v in visits { s.planned[Key(side: v.side, cell: v.cell), default: 0] += 1 } }
        var open: [Key: OpenCell] = [:]
        for (i, visit) in visits.enumerated() {
            let key = Key(side: visit.side, cell: visit.cell)
            await run(visit, key: key, isLast: last[key] == i, open: &open, group: group)
        }
        for (key, cell) in open {
            if let failed = await cell.close() { settle(key, failed) }
        }
    }

    /// Settles cells left unfinished (interrupted), marks the run complete or interrupted, writes the
    /// final files and gives Surge's threads every CPU back. Throws when a final write fails.
    public func finish() async throws -> [RunResult] {
        let (wasInterrupted, planned, group) = state.withLock { ($0.interrupted, $0.planned, $0.group) }
        let count = state.withLock { $0.sides.count }
        for side in 0..<count {
            for cell in 0..<cellsPerSide[side] {
                let key = Key(side: side, cell: cell)
                let run = snapshot(side).cells[cell]
                guard run.status == .ok else { continue }
                let done = run.samples.filter { $0.pass == "speed" }.count
                let want = planned[key] ?? 0
                if done == 0 && (wasInterrupted || want == 0) {
                    let reason = "not run: the run was interrupted (\(interruptCause))"
                    settle(key, CellOutcome(status: .skipped, reason: reason))
                } else if done < want && wasInterrupted {
                    settle(
                        key,
                        CellOutcome(
                            status: .failed,
                            reason: CellResult.interruptedReasonPrefix
                                + "\(interruptCause)) after \(done) of \(want) repetitions"))
                }
                if !settings.reportEachCell { report(key) }
            }
        }
        let loadAfter = HostInspector.loadAverage()
        mutateAll {
            $0.finishedAt = Date()
            $0.status = wasInterrupted ? .interrupted : .complete
            $0.host.loadAverageAfter = loadAfter
        }
        try? await group?.shutdownGracefully()
        state.withLock { $0.group = nil }
        if let load = scenario.cpus?.load, !load.isEmpty {
            _ = CPUAffinity.pinProcess(to: Array(0..<ProcessInfo.processInfo.activeProcessorCount))
        }
        for side in 0..<count { writeFinal(side) }
        progress.end()
        return (0..<count).map(snapshot)
    }

    /// The final writes that failed: what could not be written and where the run went instead
    /// (`resultPaths` then names that file). Empty when every result file was written.
    public var unsavedResults: [String] { state.withLock { $0.unsaved } }

    /// The final write of a side. When its path cannot be written (a directory gone, a full disk),
    /// the run is written to the temporary directory instead and `resultPaths` points there, so
    /// nothing measured is lost; the failure is kept for the command to report and exit 1.
    private func writeFinal(_ side: Int) {
        do {
            try write(side)
        } catch {
            let (run, path) = state.withLock { ($0.sides[side].result, $0.paths[side]) }
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let fallback = (NSTemporaryDirectory() as NSString).appendingPathComponent(
                "surge-unsaved-\(stem)-\(getpid()).json")
            var text = "the result file could not be written: \(error)"
            do {
                try RunResultCodec.write(run, path: fallback)
                state.withLock { $0.paths[side] = fallback }
                text += "; the run is saved in \(fallback) instead"
            } catch {
                text += "; nor could it be saved in \(fallback): \(error)"
            }
            state.withLock { $0.unsaved.append(text) }
        }
    }

    /// Asks the run to stop: the current target is stopped, the remaining visits are not made.
    public func interrupt(by cause: String = "Ctrl-C") {
        let target = state.withLock { s -> TargetProcess? in
            if !s.interrupted { s.interruptedBy = cause }
            s.interrupted = true
            return s.currentTarget
        }
        target?.stop(timeout: 2)
    }

    public var currentTargetPID: pid_t? { state.withLock { $0.currentTarget?.pid } }

    /// The load generator's event loops (nil before `start` and after `finish`).
    var eventLoopGroup: MultiThreadedEventLoopGroup? { state.withLock { $0.group } }

    /// A side's cell, its status so far, the side's label and its `surge` executable.
    func sideCell(_ key: Key) -> (cell: Cell, status: CellStatus, label: String, surge: String?) {
        state.withLock { s in
            (
                s.sides[key.side].cells[key.cell], s.sides[key.side].result.cells[key.cell].status,
                s.sides[key.side].label, s.sides[key.side].surgeExecutable
            )
        }
    }

    /// Records a cell's stack profiles and rewrites its side's file.
    func setProfiles(_ key: Key, _ profiles: [ProfileReference]) {
        state.withLock { $0.sides[key.side].result.cells[key.cell].profiles = profiles }
        save(key.side)
    }

    var isInterrupted: Bool { state.withLock { $0.interrupted } }

    /// What interrupted the run ("Ctrl-C" or "SIGTERM"), for the cells' reasons.
    var interruptCause: String { state.withLock { $0.interruptedBy } }

    /// Whether `interrupt` was called (Ctrl-C).
    public var wasInterrupted: Bool { isInterrupted }

    /// Sets the target Ctrl-C must stop; returns whether the run was already interrupted.
    func setCurrentTarget(_ target: TargetProcess?) -> Bool {
        state.withLock {
            $0.currentTarget = target
            return $0.interrupted
        }
    }

    /// Records and shows a note, once per run (a note repeated for every cell says nothing new).
    func note(_ text: String) {
        var fresh = false
        mutateAll {
            if !$0.notes.contains(text) {
                $0.notes.append(text)
                fresh = true
            }
        }
        if fresh { progress.notice(text) }
    }

    // MARK: visits

    private func run(_ visit: Visit, key: Key, isLast: Bool, open: inout [Key: OpenCell], group: any EventLoopGroup)
        async
    {
        let (cell, status, label, surge, sideProbes) = state.withLock { s in
            (
                s.sides[key.side].cells[key.cell], s.sides[key.side].result.cells[key.cell].status,
                s.sides[key.side].label, s.sides[key.side].surgeExecutable, s.sides[key.side].probes
            )
        }
        guard status == .ok, !isInterrupted else {
            if let oc = open.removeValue(forKey: key) { _ = await oc.close() }
            return
        }
        let number = state.withLock { s -> Int in
            s.visits += 1
            return s.visits
        }
        progress.cellStarted(position(key), name: label.isEmpty ? cell.name : "\(label) \(cell.name)")
        let planned = state.withLock { $0.planned[key] ?? settings.repetitions }
        if case .workloadOwned = cell.target.kind {
            await runWorkloadOwned(cell, visit: visit, number: number, key: key, planned: planned, group: group)
            return
        }
        let visitor: OpenCell
        if let oc = open[key] {
            visitor = oc
            oc.watchdog.rearm()
        } else {
            let surge = surge ?? options.surgeExecutable
            switch await OpenCell.open(
                cell, surgeExecutable: surge, probes: sideProbes ?? options.probes ?? scenario.probes, pipeline: self,
                warmup: settings.warmup, group: group)
            {
            case .success(let oc): visitor = oc
            case .failure(let failed):
                settle(key, failed)
                report(key)
                return
            }
            open[key] = visitor
        }
        do {
            var (sample, methods) = try await visitor.measure(repetition: visit.repetition, of: planned)
            sample.visit = number
            record(key, sample, methods)
            if isLast && settings.profilePass {
                try await visitor.profilePass(repetitions: planned) { record(key, $0, $1) }
                let path = resultPaths[key.side]
                if let profiles = try await visitor.stackProfiles(
                    names: options.profile ?? scenario.profile, resultPath: path, runID: snapshot(key.side).runID)
                {
                    setProfiles(key, profiles)
                }
            }
        } catch {
            let done = snapshot(key.side).cells[key.cell].samples.filter { $0.pass == "speed" }.count
            let failed = await visitor.failure(error, done: done, planned: planned)
            _ = await visitor.close()
            open[key] = nil
            settle(key, failed)
            report(key)
            return
        }
        if settings.lifetime == .visit || isLast {
            open[key] = nil
            if let failed = await visitor.close() { settle(key, failed) }
        }
        if isLast && settings.reportEachCell { report(key) }
    }

    func position(_ key: Key) -> Int {
        state.withLock { s in s.sides.prefix(key.side).reduce(0) { $0 + $1.cells.count } } + key.cell + 1
    }

    func record(_ key: Key, _ sample: Sample, _ methods: [String: String]) {
        state.withLock { s in
            s.sides[key.side].result.cells[key.cell].samples.append(sample)
            for (metric, method) in methods {
                s.sides[key.side].result.cells[key.cell].probeMethods =
                    (s.sides[key.side].result.cells[key.cell].probeMethods ?? [:]).merging([metric: method]) { $1 }
                s.sides[key.side].result.probeMethods[metric] = method
            }
        }
        save(key.side)
    }

    func settle(_ key: Key, _ outcome: CellOutcome) {
        state.withLock { s in
            s.sides[key.side].result.cells[key.cell].status = outcome.status
            s.sides[key.side].result.cells[key.cell].reason = outcome.reason
            s.sides[key.side].result.cells[key.cell].targetStderr = outcome.stderr
        }
        save(key.side)
    }

    func report(_ key: Key) {
        let (label, cell) = state.withLock { ($0.sides[key.side].label, $0.sides[key.side].result.cells[key.cell]) }
        progress.cellFinished(
            position(key), name: label.isEmpty ? cell.name : "\(label) \(cell.name)",
            status: cell.status, reason: cell.reason, samples: cell.samples)
    }

    // MARK: result files

    private func mutateAll(_ body: (inout RunResult) -> Void) {
        state.withLock { s in for i in s.sides.indices { body(&s.sides[i].result) } }
    }

    private func write(_ side: Int) throws {
        let (run, path) = state.withLock { ($0.sides[side].result, $0.paths[side]) }
        try RunResultCodec.write(run, path: path)
    }

    /// A write during the run: a failure is reported on standard error (once per message, also with
    /// --quiet) and the run goes on; the next sample tries again.
    private func save(_ side: Int) {
        do {
            try write(side)
        } catch {
            let text = "surge: the result file could not be written (the run goes on and tries again): \(error)\n"
            let fresh = state.withLock { $0.reportedWrites.insert(text).inserted }
            if fresh { FileHandle.standardError.write(Data(text.utf8)) }
        }
    }
}

extension ResolvedTarget {
    /// The same target with `{build}` filled in its command and environment.
    public func withBuild(_ path: String) -> ResolvedTarget {
        var copy = self
        let fill: (String) -> String = { (try? Placeholders.substitute($0) { $0 == "build" ? path : nil }) ?? $0 }
        if case .command(let argv) = kind { copy.kind = .command(argv.map(fill)) }
        copy.environment = environment.mapValues(fill)
        return copy
    }

}
