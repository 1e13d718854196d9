import NIOCore
import SurgeLoad
import SurgeResults
import SurgeScenario

extension RunPipeline {
    /// A visit of a cell without a target (`command`): the workload runs its own process for the
    /// repetition and reports what it measured, its process tree's CPU time included. Probes are not
    /// attached: there is no process to attach to before the command starts, and the command's own
    /// output is the measurement. The first visit of the cell runs the warm-up (one run of the command).
    func runWorkloadOwned(
        _ cell: Cell, visit: Visit, number: Int, key: Key, planned: Int, group: any EventLoopGroup
    ) async {
        if !(options.probes ?? scenario.probes).isEmpty {
            note(
                "probes are not attached to a `command` workload's process; "
                    + "it reports cmd-cpu-ns and cmd-wall-ns itself"
            )
        }
        guard let type = WorkloadRegistry.type(forKind: cell.workloadKind) else {
            settle(
                key, CellOutcome(status: .failed, reason: "unknown workload kind '\(cell.workloadKind)'"))
            report(key)
            return
        }
        let isFirst = snapshot(key.side).cells[key.cell].samples.isEmpty
        let isLast = visit.repetition == planned
        var failure: String?
        do {
            let workload = try type.init(parameters: cell.workloadParameters)
            let session = try await workload.makeSession(endpoints: [], group: group)
            do {
                failure = try await measure(
                    session, visit: visit, number: number, key: key, planned: planned, warmUp: isFirst)
            } catch {
                failure = "\(error)"
            }
            await session.close()
        } catch {
            failure = "\(error)"
        }
        if let failure {
            settle(key, CellOutcome(status: .failed, reason: failure))
            report(key)
        } else if isLast && settings.reportEachCell {
            report(key)
        }
    }

    /// Warm-up (when asked) and one measured run; returns why it failed, if it did.
    private func measure(
        _ session: any WorkloadSession, visit: Visit, number: Int, key: Key, planned: Int, warmUp: Bool
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
                record(
                    key, sample,
                    Dictionary(uniqueKeysWithValues: sample.metrics.keys.map { ($0, "command output") }))
            } else {
                failure = "repetition \(visit.repetition): " + outcome.failures.joined(separator: "; ")
            }
        }
        return failure
    }
}
