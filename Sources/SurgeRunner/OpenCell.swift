import Foundation
import NIOCore
import SurgeLoad
import SurgeProbes
import SurgeProfile
import SurgeResults
import SurgeScenario

/// Why a cell stopped: its status, reason and the target's last stderr lines.
struct CellOutcome: Error, Sendable {
    var status: CellStatus
    var reason: String?
    var stderr: [String]?
}

/// A cell's target while it is up: started, ready, warmed up, with the workload's session, the
/// speed-pass probes and the watchdog. A visit measures one repetition on it; the runner closes it
/// after the visit (`target-lifetime: visit`) or after the cell's last visit (`run`).
final class OpenCell {
    let cell: Cell
    let started: StartedTarget
    private let session: any WorkloadSession
    private var probes: AttachedProbes
    private let probePlan: ProbePlan
    private let preload: AllocationPreload?
    let watchdog: CellWatchdog
    private let watchTask: Task<Void, Never>
    private let pipeline: RunPipeline
    private var closed = false
    private var sessionClosed = false

    var pids: [Int32] { started.pids.map { Int32($0) } }

    private init(
        cell: Cell, started: StartedTarget, session: any WorkloadSession, probes: AttachedProbes, plan: ProbePlan,
        preload: AllocationPreload?, watchdog: CellWatchdog, watchTask: Task<Void, Never>, pipeline: RunPipeline
    ) {
        self.cell = cell
        self.started = started
        self.session = session
        self.probes = probes
        self.probePlan = plan
        self.preload = preload
        self.watchdog = watchdog
        self.watchTask = watchTask
        self.pipeline = pipeline
    }

    /// Starts the cell's target, connects the workload and warms up. Never throws: a failure is the
    /// cell's outcome.
    static func open(
        _ cell: Cell, surgeExecutable: String, probes probeNames: [String], pipeline: RunPipeline, warmup: Double,
        group: any EventLoopGroup
    ) async -> Result<OpenCell, CellOutcome> {
        let scenario = pipeline.scenario
        guard let type = WorkloadRegistry.type(forKind: cell.workloadKind) else {
            return .failure(CellOutcome(status: .failed, reason: "unknown workload kind '\(cell.workloadKind)'"))
        }
        let workload: any Workload
        do {
            workload = try type.init(parameters: cell.workloadParameters)
        } catch {
            return .failure(CellOutcome(status: .failed, reason: "\(error)"))
        }
        let plan: ProbePlan
        do {
            plan = try ProbePlan(names: probeNames)
        } catch {
            return .failure(CellOutcome(status: .failed, reason: "probes: \(error)"))
        }
        var preload: AllocationPreload?
        if plan.wantsPreload {
            do {
                preload = try AllocationPreload.prepare()
            } catch {
                pipeline.note(
                    "allocations: the preload library is not available (\(error)); they are counted with uprobes in a profile pass instead"
                )
            }
        }
        let started: StartedTarget
        do {
            started = try TargetLauncher.start(
                cell.target, surgeExecutable: surgeExecutable, cpus: scenario.cpus?.target,
                extraEnvironment: preload?.environment(existing: [:]) ?? [:])
        } catch let TargetError.exitedBeforeReady(status, stderr) {
            preload?.remove()
            return .failure(
                CellOutcome(status: .failed, reason: "the target \(status) before it was ready", stderr: stderr))
        } catch {
            preload?.remove()
            return .failure(CellOutcome(status: .failed, reason: "\(error)"))
        }
        if pipeline.setCurrentTarget(started.process) {
            _ = pipeline.setCurrentTarget(nil)
            started.stopAll(timeout: cell.target.stopTimeout)
            preload?.remove()
            let reason = CellResult.interruptedReasonPrefix + "\(pipeline.interruptCause)) before the first repetition"
            return .failure(CellOutcome(status: .failed, reason: reason))
        }
        let watchdog = CellWatchdog(target: started, timeout: scenario.cellTimeout)
        let watchTask = Task { await watchdog.watch() }
        let probes = AttachedProbes(
            pids: started.pids, probes: plan.speedProbes(preloaded: preload != nil), preload: preload,
            allowCostly: false)
        probes.notes.forEach(pipeline.note)
        var session: (any WorkloadSession)?
        do {
            let s = try await workload.makeSession(endpoints: started.endpoints, group: group)
            session = s
            if warmup > 0 {
                pipeline.progress.phase("warm-up \(ScenarioRunner.seconds(warmup))")
                _ = try await s.run(.warmup(seconds: warmup)) { [progress = pipeline.progress] f in progress.fraction(f)
                }
            }
            return .success(
                OpenCell(
                    cell: cell, started: started, session: s, probes: probes, plan: plan, preload: preload,
                    watchdog: watchdog, watchTask: watchTask, pipeline: pipeline))
        } catch {
            await session?.close()
            let outcome = await Self.failure(
                error, watchdog: watchdog, started: started, done: 0, planned: 0,
                interrupted: pipeline.isInterrupted ? pipeline.interruptCause : nil)
            watchTask.cancel()
            probes.close()
            _ = pipeline.setCurrentTarget(nil)
            started.stopAll(timeout: cell.target.stopTimeout)
            preload?.remove()
            return .failure(outcome)
        }
    }

    /// One measured repetition of the speed pass, with the target's counters over the window.
    func measure(repetition rep: Int, of planned: Int) async throws -> (Sample, [String: String]) {
        let progress = pipeline.progress
        progress.phase("repetition \(rep)/\(planned)")
        let before = started.fetchCounters()
        probes.begin()
        var outcome = try await session.run(.measure) { f in progress.fraction(f) }
        let probed = probes.end(operations: outcome.operations)
        probes.takeFailures().forEach(pipeline.note)
        let after = started.fetchCounters()
        if let reason = watchdog.failure(), !pipeline.isInterrupted { throw CellFailure(reason) }
        if !outcome.failures.isEmpty {
            throw CellFailure("repetition \(rep): " + outcome.failures.joined(separator: "; "))
        }
        outcome.addLatencyPercentiles()
        var sample = ScenarioRunner.sample(rep, outcome, before: before, after: after)
        sample.processIDs = pids
        let methods = probes.absent.merging(probed.map { Self.merge($0, into: &sample) } ?? [:]) { $1 }
        return (sample, methods)
    }

    /// The profile pass: costly probes in repetitions of their own, after the cell's speed pass.
    func profilePass(repetitions: Int, record: (Sample, [String: String]) -> Void) async throws {
        let costly = probePlan.profileProbes(allocationsMeasured: probes.measuresAllocations)
        guard !costly.isEmpty, !pipeline.isInterrupted else { return }
        probes.close()
        probes = AttachedProbes(pids: started.pids, probes: costly, preload: nil, allowCostly: true)
        probes.notes.forEach(pipeline.note)
        let progress = pipeline.progress
        for rep in 1...repetitions where probes.isAttached {
            if pipeline.isInterrupted { break }
            progress.phase(
                "profile pass (\(costly.map(\.rawValue).sorted().joined(separator: ", "))) \(rep)/\(repetitions)")
            probes.begin()
            let outcome = try await session.run(.measure) { f in progress.fraction(f) }
            let probed = probes.end(operations: outcome.operations)
        probes.takeFailures().forEach(pipeline.note)
            if let reason = watchdog.failure(), !pipeline.isInterrupted { throw CellFailure(reason) }
            if !outcome.failures.isEmpty {
                throw CellFailure("profile repetition \(rep): " + outcome.failures.joined(separator: "; "))
            }
            var sample = Sample(
                repetition: rep, pass: "profile", operations: outcome.operations,
                elapsedSeconds: outcome.elapsedSeconds,
                metrics: [:])
            sample.processIDs = pids
            let methods = probes.absent.merging(probed.map { Self.merge($0, into: &sample) } ?? [:]) { $1 }
            record(sample, methods)
        }
    }

    /// Stack profiles (`profile:` / `--profile`), after the profile pass's probes: see `ProfileCapture`.
    /// Nil when none were asked for.
    func stackProfiles(names: [String], resultPath: String, runID: String) async throws -> [ProfileReference]? {
        let options = pipeline.options
        let capture = try ProfileCapture(
            names: names, resultPath: resultPath, runID: runID, frequency: options.profileFrequency,
            costWindows: options.profileWindows)
        guard !capture.isEmpty, !pipeline.isInterrupted else { return nil }
        probes.close()
        let taken = try await capture.run(cell: cell.name, session: session, pids: pids, progress: pipeline.progress)
        taken.notes.forEach(pipeline.note)
        return taken.references
    }

    /// Why a visit failed, from the error, the watchdog and the target's exit.
    func failure(_ error: any Error, done: Int, planned: Int) async -> CellOutcome {
        await closeSession()
        return await Self.failure(
            error, watchdog: watchdog, started: started, done: done, planned: planned,
            interrupted: pipeline.isInterrupted ? pipeline.interruptCause : nil)
    }

    private static func failure(
        _ error: any Error, watchdog: CellWatchdog, started: StartedTarget, done: Int, planned: Int,
        interrupted: String?
    ) async -> CellOutcome {
        if let interrupted {
            return CellOutcome(
                status: .failed,
                reason: CellResult.interruptedReasonPrefix + "\(interrupted)) after \(done) of \(planned) repetitions")
        }
        try? await Task.sleep(nanoseconds: 50_000_000)
        let exited = started.exitDescription().map { "the target \($0)" }
        let why = watchdog.failure() ?? exited.map { "\($0) during repetition \(done + 1) (\(error))" } ?? "\(error)"
        return CellOutcome(status: .failed, reason: why, stderr: started.lastStderrLines)
    }

    /// Stops the target. Returns a failure when it had already ended by itself.
    func close() async -> CellOutcome? {
        guard !closed else { return nil }
        closed = true
        await closeSession()
        let exited = started.exitDescription()
        watchTask.cancel()
        probes.close()
        _ = pipeline.setCurrentTarget(nil)
        started.stopAll(timeout: cell.target.stopTimeout)
        preload?.remove()
        guard let exited else { return nil }
        return CellOutcome(
            status: .failed, reason: "the target \(exited) at the end of the cell", stderr: started.lastStderrLines)
    }

    private func closeSession() async {
        guard !sessionClosed else { return }
        sessionClosed = true
        await session.close()
    }

    /// Adds probe figures to a sample; returns the method that measured each (tagged with the pass).
    private static func merge(
        _ probed: (metrics: [String: Double], methods: [String: String]), into sample: inout Sample
    ) -> [String: String] {
        for (k, v) in probed.metrics { sample.metrics[k] = v }
        var tagged: [String: String] = [:]
        for (metric, method) in probed.methods {
            tagged[metric] = sample.pass == "speed" ? method : "\(method) (profile pass)"
        }
        return tagged
    }
}
