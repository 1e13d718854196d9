import Foundation
import NIOCore
import NIOPosix
import SurgeLoad
import SurgeProbes
import SurgeResults
import SurgeScenario

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
    /// Options set on every built-in component target over the scenario's (`--target-option`), e.g.
    /// `handicap-ns=5000` for a canary run. Cell names stay as they are, so the run compares with one
    /// made without them; the run's notes record the override.
    public var targetOptions: [String: String] = [:]

    public init(surgeExecutable: String, surgeVersion: String) {
        self.surgeExecutable = surgeExecutable
        self.surgeVersion = surgeVersion
    }
}

/// Drives a target through every cell of a scenario and writes the result file as it goes.
///
/// For each cell: start the target (a child process, never in Surge's own process), wait until it
/// is ready, connect the workload, warm up, then for each repetition read the target's counters,
/// run the measured phase and read them again; stop and reap the target. A crash, a hang (the
/// scenario's `timeout`) or Ctrl-C fails the cell with the reason and the target's last stderr
/// lines; the other cells go on (after Ctrl-C they are skipped). After every repetition the result
/// file is rewritten atomically, so whatever happens it holds every finished repetition.
public final class ScenarioRunner: @unchecked Sendable {
    public let scenario: Scenario
    public let options: RunOptions
    /// Where the result is written: `<out>/<stamp>-<scenario>[-N].json`, claimed when the run starts.
    public var resultPath: String { lock.withLock { plannedPath } }
    private var plannedPath: String
    let progress: ProgressDisplay
    private let lock = NSLock()
    private var result: RunResult
    private var interrupted = false
    private var currentTarget: TargetProcess?

    public init(scenario: Scenario, options: RunOptions, progress: ProgressDisplay) {
        self.scenario = scenario
        self.options = options
        self.progress = progress
        let started = Date()
        let stamp = Self.timestamp(started)
        let runID = "\(stamp)-\(scenario.name)"
        self.plannedPath = (options.outputDirectory as NSString).appendingPathComponent("\(runID).json")
        let target: TargetInfo
        if scenario.targets.count == 1, case .component(let c) = scenario.targets[0].kind {
            target = TargetInfo(kind: "component", component: c)
        } else if scenario.targets.count == 1, case .workloadOwned = scenario.targets[0].kind {
            target = TargetInfo(kind: "none")
        } else if scenario.targets.count == 1, case .command(let argv) = scenario.targets[0].kind {
            target = TargetInfo(kind: "command", command: argv.map(\.text))
        } else {
            target = TargetInfo(kind: "matrix", component: scenario.targets.map(\.name).joined(separator: ","))
        }
        result = RunResult(
            runID: runID, startedAt: started,
            scenario: ScenarioInfo(name: scenario.name, file: scenario.file, sha256: scenario.sha256, description: scenario.description, thresholds: scenario.thresholds),
            source: HostInspector.sourceInfo(), host: HostInspector.hostInfo(surgeVersion: options.surgeVersion), target: target)
    }

    /// The cells this run will attempt (after `--filter`).
    public var cells: [Cell] {
        var all = scenario.cells()
        if !options.targetOptions.isEmpty {
            for i in all.indices where !all[i].target.isCommand {
                all[i].target.options.merge(options.targetOptions) { _, override in override }
            }
        }
        guard let f = options.cellFilter, !f.isEmpty else { return all }
        return all.filter { $0.name.contains(f) }
    }

    /// Asks the run to stop: the current cell's target is stopped, the remaining cells are skipped.
    public func interrupt() {
        lock.lock()
        interrupted = true
        let target = currentTarget
        lock.unlock()
        target?.stop(timeout: 2)
    }

    /// Sets the target Ctrl-C must stop; returns whether the run was already interrupted.
    private func setCurrentTarget(_ target: TargetProcess?) -> Bool {
        lock.withLock {
            currentTarget = target
            return interrupted
        }
    }

    /// The PID of the target being measured now, if any.
    public var currentTargetPID: pid_t? {
        lock.withLock { currentTarget?.pid }
    }

    var isInterrupted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return interrupted
    }

    /// Runs every cell and returns the final result (also written to `resultPath`).
    public func run() async throws -> RunResult {
        // A run id and result file no other run holds (two runs in one second with the same --out).
        let claim = RunFileClaim.claim(directory: options.outputDirectory, base: snapshot.runID)
        mutate { $0.runID = claim.runID }
        lock.withLock { plannedPath = claim.path }
        let cells = self.cells
        let repetitions = options.repetitions ?? scenario.repetitions
        let warmup = options.warmup ?? scenario.warmup
        let pinLoad = !(scenario.cpus?.load.isEmpty ?? true)
        if pinLoad, let problem = CPUAffinity.pinProcess(to: scenario.cpus!.load) {
            note("cpus.load not applied: \(problem)")
        }
        defer {
            // Give Surge's own threads every CPU back, so a later run in this process starts unpinned.
            if pinLoad { _ = CPUAffinity.pinProcess(to: Array(0..<ProcessInfo.processInfo.activeProcessorCount)) }
        }
        let threads = options.loadThreads ?? max(1, scenario.cpus?.load.count ?? ProcessInfo.processInfo.activeProcessorCount)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        mutate { $0.probeMethods = ["msgs/s": "driver", "req/s": "driver", "p50-ns": "driver", "p99-ns": "driver"] }
        if !options.targetOptions.isEmpty {
            let text = options.targetOptions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            note("target options set by --target-option over the scenario's: \(text)")
        }
        try save()

        progress.begin(scenario: scenario.name, cells: cells.count, repetitions: repetitions, resultPath: resultPath)
        for (position, cell) in cells.enumerated() {
            var cellResult = CellResult(
                name: cell.name, parameters: cell.parameters.map { CellParameter(name: $0.name, value: $0.value) })
            if let kind = WorkloadRegistry.type(forKind: cell.workloadKind), !kind.keyMetrics.isEmpty {
                cellResult.keyMetrics = Dictionary(kind.keyMetrics.map { ($0.name, $0.thresholdText) }) { a, _ in a }
            }
            if isInterrupted {
                cellResult.status = .skipped
                cellResult.reason = "not run: the run was interrupted (Ctrl-C)"
                mutate { $0.cells.append(cellResult) }
                continue
            }
            mutate { $0.cells.append(cellResult) }
            let index = position
            progress.cellStarted(position + 1, name: cell.name)
            let outcome = await runCell(cell, repetitions: repetitions, warmup: warmup, group: group) { sample, methods in
                self.mutate { run in
                    run.cells[index].samples.append(sample)
                    for (metric, method) in methods {
                        run.cells[index].probeMethods = (run.cells[index].probeMethods ?? [:]).merging([metric: method]) { $1 }
                        run.probeMethods[metric] = method
                    }
                }
                try? self.save()
            }
            mutate {
                $0.cells[index].status = outcome.status
                $0.cells[index].reason = outcome.reason
                $0.cells[index].targetStderr = outcome.stderr
            }
            progress.cellFinished(position + 1, name: cell.name, status: outcome.status, reason: outcome.reason, samples: result.cells[index].samples)
            try? save()
        }
        let wasInterrupted = isInterrupted
        mutate {
            $0.finishedAt = Date()
            $0.status = wasInterrupted ? .interrupted : .complete
        }
        try? await group.shutdownGracefully()
        try save()
        progress.end()
        return snapshot
    }

    public var snapshot: RunResult {
        lock.lock()
        defer { lock.unlock() }
        return result
    }

    private func mutate(_ body: (inout RunResult) -> Void) {
        lock.lock()
        body(&result)
        lock.unlock()
    }

    /// Records and shows a note, once per run (a note repeated for every cell says nothing new).
    func note(_ text: String) {
        var fresh = false
        mutate {
            fresh = !$0.notes.contains(text)
            if fresh { $0.notes.append(text) }
        }
        if fresh { progress.notice(text) }
    }

    private func save() throws {
        try RunResultCodec.write(snapshot, path: resultPath)
    }

    struct CellOutcome {
        var status: CellStatus
        var reason: String?
        var stderr: [String]?
    }

    /// One cell, start to finish. Never throws: every failure becomes the cell's status and reason.
    private func runCell(
        _ cell: Cell, repetitions: Int, warmup: Double, group: any EventLoopGroup,
        record: @escaping @Sendable (Sample, [String: String]) -> Void
    ) async -> CellOutcome {
        guard let type = WorkloadRegistry.type(forKind: cell.workloadKind) else {
            return CellOutcome(status: .failed, reason: "unknown workload kind '\(cell.workloadKind)'")
        }
        let workload: any Workload
        do {
            workload = try type.init(parameters: cell.workloadParameters)
        } catch {
            return CellOutcome(status: .failed, reason: "\(error)")
        }
        if case .workloadOwned = cell.target.kind {
            return await runWorkloadOwned(workload, repetitions: repetitions, warmup: warmup, group: group, record: record)
        }

        let probePlan = (try? ProbePlan(names: options.probes ?? scenario.probes)) ?? ProbePlan.none
        var preload: AllocationPreload?
        if probePlan.wantsPreload {
            do {
                preload = try AllocationPreload.prepare()
            } catch {
                note("allocations: the preload library is not available (\(error)); they are counted with uprobes in a profile pass instead")
            }
        }
        defer { preload?.remove() }

        let started: StartedTarget
        do {
            started = try TargetLauncher.start(
                cell.target, surgeExecutable: options.surgeExecutable, cpus: scenario.cpus?.target,
                extraEnvironment: preload?.environment(existing: [:]) ?? [:])
        } catch let TargetError.exitedBeforeReady(status, stderr) {
            return CellOutcome(status: .failed, reason: "the target \(status) before it was ready", stderr: stderr)
        } catch {
            return CellOutcome(status: .failed, reason: "\(error)")
        }
        let target = started.process
        let alreadyInterrupted = setCurrentTarget(target)
        defer {
            _ = setCurrentTarget(nil)
            started.stopAll(timeout: cell.target.stopTimeout)
        }
        if alreadyInterrupted {
            return CellOutcome(status: .failed, reason: "interrupted (Ctrl-C) before the first repetition")
        }

        let watchdog = CellWatchdog(target: started, timeout: scenario.cellTimeout)
        let watchTask = Task { await watchdog.watch() }
        defer { watchTask.cancel() }

        var done = 0
        var session: (any WorkloadSession)?
        let preloaded = preload != nil
        var probes = AttachedProbes(pids: started.pids, probes: probePlan.speedProbes(preloaded: preloaded), preload: preload,
                                    allowCostly: false)
        probes.notes.forEach(note)
        defer { probes.close() }
        do {
            session = try await workload.makeSession(endpoints: started.endpoints, group: group)
            if warmup > 0 {
                progress.phase("warm-up \(Self.seconds(warmup))")
                _ = try await session!.run(.warmup(seconds: warmup)) { [progress] f in progress.fraction(f) }
            }
            for rep in 1...repetitions {
                if isInterrupted { break }
                progress.phase("repetition \(rep)/\(repetitions)")
                let before = started.fetchCounters()
                probes.begin()
                var outcome = try await session!.run(.measure) { [progress] f in progress.fraction(f) }
                let probed = probes.end(operations: outcome.operations)
                let after = started.fetchCounters()
                if let reason = watchdog.failure(), !isInterrupted { throw CellFailure(reason) }
                if !outcome.failures.isEmpty {
                    throw CellFailure("repetition \(rep): " + outcome.failures.joined(separator: "; "))
                }
                outcome.addLatencyPercentiles()
                var sample = Self.sample(rep, outcome, before: before, after: after)
                let methods = probes.absent.merging(probed.map { merge($0, into: &sample) } ?? [:]) { $1 }
                record(sample, methods)
                done += 1
            }
            // The profile pass: costly probes in repetitions of their own, after the speed pass.
            let costly = probePlan.profileProbes(allocationsMeasured: probes.measuresAllocations)
            if !costly.isEmpty && !isInterrupted {
                probes.close()
                probes = AttachedProbes(pids: started.pids, probes: costly, preload: nil, allowCostly: true)
                probes.notes.forEach(note)
                for rep in 1...repetitions where probes.isAttached {
                    if isInterrupted { break }
                    progress.phase("profile pass (\(costly.map(\.rawValue).sorted().joined(separator: ", "))) \(rep)/\(repetitions)")
                    probes.begin()
                    let outcome = try await session!.run(.measure) { [progress] f in progress.fraction(f) }
                    let probed = probes.end(operations: outcome.operations)
                    if let reason = watchdog.failure(), !isInterrupted { throw CellFailure(reason) }
                    if !outcome.failures.isEmpty {
                        throw CellFailure("profile repetition \(rep): " + outcome.failures.joined(separator: "; "))
                    }
                    var sample = Sample(repetition: rep, pass: "profile", operations: outcome.operations, elapsedSeconds: outcome.elapsedSeconds, metrics: [:])
                    let methods = probes.absent.merging(probed.map { merge($0, into: &sample) } ?? [:]) { $1 }
                    record(sample, methods)
                }
            }
            await session?.close()
        } catch {
            await session?.close()
            let reason = watchdog.failure()
            if isInterrupted {
                return CellOutcome(status: .failed, reason: "interrupted (Ctrl-C) after \(done) of \(repetitions) repetitions")
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
            let exited = started.exitDescription().map { "the target \($0)" }
            let why = reason ?? exited.map { "\($0) during repetition \(done + 1) (\(error))" } ?? "\(error)"
            return CellOutcome(status: .failed, reason: why, stderr: started.lastStderrLines)
        }
        if isInterrupted && done < repetitions {
            return CellOutcome(status: .failed, reason: "interrupted (Ctrl-C) after \(done) of \(repetitions) repetitions")
        }
        if let exited = started.exitDescription() {
            return CellOutcome(status: .failed, reason: "the target \(exited) at the end of the cell", stderr: started.lastStderrLines)
        }
        return CellOutcome(status: .ok)
    }

    /// Adds probe figures to a sample; returns the method that measured each (tagged with the pass),
    /// which the cell records (and the run, where the last cell's stands for files read by older tools).
    private func merge(_ probed: (metrics: [String: Double], methods: [String: String]), into sample: inout Sample) -> [String: String] {
        for (k, v) in probed.metrics { sample.metrics[k] = v }
        var tagged: [String: String] = [:]
        for (metric, method) in probed.methods {
            tagged[metric] = sample.pass == "speed" ? method : "\(method) (profile pass)"
        }
        return tagged
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

    static func timestamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : String(format: "%.2f s", s) }
}

struct CellFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Fails a cell when its target dies or the cell outlives the scenario's `timeout`: it stops the
/// target, which makes the workload's pending I/O fail promptly, and remembers why.
final class CellWatchdog: @unchecked Sendable {
    private let target: StartedTarget
    private let timeout: Double
    private let lock = NSLock()
    private var reason: String?

    init(target: StartedTarget, timeout: Double) {
        self.target = target
        self.timeout = timeout
    }

    func failure() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }

    func watch() async {
        let deadline = Date().addingTimeInterval(timeout)
        while !Task.isCancelled {
            if let exit = target.exitDescription() {
                set("the target \(exit) while it was being measured")
                if !target.nodes.isEmpty { target.stopAll(timeout: 2) } // a node died: stop the others cleanly
                return
            }
            if Date() >= deadline {
                set("timed out: the cell took longer than the scenario's timeout of \(ScenarioRunner.seconds(timeout)) (hung target or workload); the target was stopped")
                target.stopAll(timeout: 1)
                return
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    private func set(_ text: String) {
        lock.lock()
        if reason == nil { reason = text }
        lock.unlock()
    }
}
