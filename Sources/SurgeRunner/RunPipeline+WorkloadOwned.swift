import NIOCore
import SurgeLoad
import SurgeProbes
import SurgeResults
import SurgeScenario

extension RunPipeline {
    /// A visit of a cell without a target (`command`): the workload runs its own process for the
    /// repetition and reports what it measured, its process tree's CPU time included. The
    /// scenario's probes are attached to that process tree for each run of the command (see
    /// `ProbedCommandExecutor`): their figures are per run, `cmd-…`. The first visit of the cell
    /// runs the warm-up (one run of the command).
    func runWorkloadOwned(
        _ cell: Cell, visit: Visit, number: Int, key: Key, planned: Int, group: any EventLoopGroup
    ) async {
        guard let type = WorkloadRegistry.type(forKind: cell.workloadKind) else {
            settle(
                key, CellOutcome(status: .failed, reason: "unknown workload kind '\(cell.workloadKind)'"))
            report(key)
            return
        }
        let isFirst = snapshot(key.side).cells[key.cell].samples.isEmpty
        let isLast = visit.repetition == planned
        var failure: String?
        var preload: AllocationPreload?
        do {
            var workload = try type.init(parameters: cell.workloadParameters)
            let executor = probedExecutor(for: &workload, preload: &preload)
            let session = try await workload.makeSession(endpoints: [], group: group)
            do {
                failure = try await measure(
                    session, executor: executor, visit: visit, number: number, key: key, planned: planned,
                    warmUp: isFirst)
            } catch {
                failure = "\(error)"
            }
            await session.close()
        } catch {
            failure = "\(error)"
        }
        preload?.remove()
        if let failure {
            settle(key, CellOutcome(status: .failed, reason: failure))
            report(key)
        } else if isLast && settings.reportEachCell {
            report(key)
        }
    }

    /// Gives a `command` workload the executor that attaches the scenario's probes; nil when no
    /// probes are asked for (or the workload runs no command).
    private func probedExecutor(
        for workload: inout any Workload, preload: inout AllocationPreload?
    ) -> ProbedCommandExecutor? {
        let plan = (try? ProbePlan(names: options.probes ?? scenario.probes)) ?? ProbePlan.none
        guard !plan.isEmpty else { return nil }
        guard var command = workload as? CommandWorkload else {
            note("probes are not attached to a `\(type(of: workload).kind)` workload's own process")
            return nil
        }
        let costly = plan.requested.filter(\.isCostly)
        if !costly.isEmpty {
            let names = costly.map(\.rawValue).sorted().joined(separator: ", ")
            note("\(names) not measured for a `command` workload: it has no separate profile pass")
        }
        if plan.wantsPreload {
            do {
                preload = try AllocationPreload.prepare()
            } catch {
                note("allocations of the command are not counted: the preload library is not available (\(error))")
            }
        }
        let executor = ProbedCommandExecutor(probes: plan.requested, preload: preload)
        command.executor = executor
        workload = command
        return executor
    }

    /// Warm-up (when asked) and one measured run; returns why it failed, if it did.
    private func measure(
        _ session: any WorkloadSession, executor: ProbedCommandExecutor?, visit: Visit, number: Int, key: Key,
        planned: Int, warmUp: Bool
    ) async throws -> String? {
        var failure: String?
        if warmUp && settings.warmup > 0 {
            progress.phase("warm-up (one run of the command)")
            let outcome = try await session.run(.warmup(seconds: settings.warmup)) { [progress] f in
                progress.fraction(f)
            }
            if !outcome.failures.isEmpty {
                failure = "warm-up: " + outcome.failures.joined(separator: "; ")
            }
        }
        if failure == nil {
            progress.phase("repetition \(visit.repetition)/\(planned)")
            let outcome = try await session.run(.measure) { [progress] f in progress.fraction(f) }
            if outcome.failures.isEmpty {
                var sample = ScenarioRunner.sample(visit.repetition, outcome, before: nil, after: nil)
                sample.visit = number
                var methods = Dictionary(uniqueKeysWithValues: sample.metrics.keys.map { ($0, "command output") })
                methods["cmd-wall-ns"] = "driver"
                methods.merge(executor?.methods ?? [:]) { $1 }
                record(key, sample, methods)
            } else {
                failure = "repetition \(visit.repetition): " + outcome.failures.joined(separator: "; ")
            }
        }
        executor?.takeNotices().forEach(note)
        return failure
    }
}
