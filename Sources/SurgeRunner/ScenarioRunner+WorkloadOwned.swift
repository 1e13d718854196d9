import NIOCore
import SurgeLoad
import SurgeResults

extension ScenarioRunner {
    /// A cell without a target (`command`): the workload runs its own process once per repetition
    /// and reports what it measured, its process tree's CPU time included. Probes are not attached:
    /// there is no process to attach to before the command starts, and the command's own output is
    /// the measurement.
    func runWorkloadOwned(
        _ workload: any Workload, repetitions: Int, warmup: Double, group: any EventLoopGroup,
        record: @escaping @Sendable (Sample, [String: String]) -> Void
    ) async -> CellOutcome {
        if !(options.probes ?? scenario.probes).isEmpty {
            note("probes are not attached to a `command` workload's process; it reports cmd-cpu-ns and cmd-wall-ns itself")
        }
        let session: any WorkloadSession
        do {
            session = try await workload.makeSession(endpoints: [], group: group)
        } catch {
            return CellOutcome(status: .failed, reason: "\(error)")
        }
        let outcome = await measure(session, repetitions: repetitions, warmup: warmup, record: record)
        await session.close()
        return outcome
    }

    private func measure(
        _ session: any WorkloadSession, repetitions: Int, warmup: Double,
        record: @escaping @Sendable (Sample, [String: String]) -> Void
    ) async -> CellOutcome {
        var done = 0
        do {
            if warmup > 0 {
                progress.phase("warm-up (one run of the command)")
                let outcome = try await session.run(.warmup(seconds: warmup)) { [progress] f in progress.fraction(f) }
                if !outcome.failures.isEmpty {
                    return CellOutcome(status: .failed, reason: "warm-up: " + outcome.failures.joined(separator: "; "))
                }
            }
            for rep in 1...repetitions {
                if isInterrupted { break }
                progress.phase("repetition \(rep)/\(repetitions)")
                let outcome = try await session.run(.measure) { [progress] f in progress.fraction(f) }
                if !outcome.failures.isEmpty {
                    return CellOutcome(
                        status: .failed, reason: "repetition \(rep): " + outcome.failures.joined(separator: "; "))
                }
                let sample = Self.sample(rep, outcome, before: nil, after: nil)
                record(sample, Dictionary(uniqueKeysWithValues: sample.metrics.keys.map { ($0, "command output") }))
                done += 1
            }
        } catch {
            return CellOutcome(status: .failed, reason: "\(error)")
        }
        if isInterrupted && done < repetitions {
            return CellOutcome(status: .failed, reason: "interrupted (Ctrl-C) after \(done) of \(repetitions) repetitions")
        }
        return CellOutcome(status: .ok)
    }
}
