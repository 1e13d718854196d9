import Foundation
import SurgeLoad
import SurgeProfile
import SurgeResults

/// Stack profiles of a cell (`profile:` in the scenario, `--profile` on `surge run`), taken in the
/// profile pass after its probe repetitions, never in the speed pass: one unprofiled repetition
/// (the throughput to compare with), then one repetition per kind with only that kind attached,
/// so each kind's cost is its own and kinds do not disturb each other. Files go to
/// `<run id>.profiles/` beside the result file; the references hold paths relative to it.
struct ProfileCapture {
    var kinds: [ProfileKind]
    /// The result file's directory.
    var directory: String
    /// The run id: the files go to `<directory>/<runID>.profiles/`.
    var runID: String
    var frequency = 99

    init(names: [String], resultPath: String, runID: String) throws(ProfileError) {
        kinds = try ProfileKind.parseList(names.joined(separator: ","))
        directory = (resultPath as NSString).deletingLastPathComponent
        self.runID = runID
    }

    var isEmpty: Bool { kinds.isEmpty }

    /// Runs the repetitions on `session` against the target's processes; returns the references
    /// and the notes to record (a kind that cannot attach is a note, not a failed cell).
    func run(cell: String, session: any WorkloadSession, pids: [Int32], progress: ProgressDisplay)
        async throws -> (references: [ProfileReference], notes: [String]) {
        var notes: [String] = []
        progress.phase("profile pass (unprofiled, for the cost of profiling)")
        let unprofiled = try await session.run(.measure) { [progress] f in progress.fraction(f) }
        let baseline = unprofiled.elapsedSeconds > 0 ? Double(unprofiled.operations) / unprofiled.elapsedSeconds : nil
        let folder = "\(runID).profiles"
        let writer = ProfileWriter(directory: (directory as NSString).appendingPathComponent(folder),
                                   base: Self.slug(cell), subject: cell, frequency: frequency)
        var references: [ProfileReference] = []
        for kind in kinds {
            var options = ProfileOptions(kinds: [kind])
            options.frequency = frequency
            var profilers: [Profiler] = []
            for pid in pids {
                do {
                    let profiler = try Profiler(pid: pid, options: options)
                    notes += profiler.notices
                    profilers.append(profiler)
                } catch {
                    notes.append("\(kind.rawValue) profile not taken of pid \(pid): \(error)")
                }
            }
            guard !profilers.isEmpty else { continue }
            progress.phase("profile pass (\(kind.rawValue) stacks)")
            let outcome: WorkloadOutcome
            do {
                outcome = try await session.run(.measure) { [progress] f in progress.fraction(f) }
            } catch {
                profilers.forEach { _ = $0.finish() }
                throw error
            }
            var profiles: [Profile] = []
            for profiler in profilers {
                profiles += profiler.finish()
                notes += profiler.notices
            }
            guard var merged = profiles.first(where: { $0.kind == kind }) else {
                notes.append("\(kind.rawValue) profile: no method could attach")
                continue
            }
            for other in profiles.dropFirst() where other.kind == kind {
                for (stack, value) in other.stacks.values { merged.stacks.values[stack, default: 0] += value }
            }
            let written = try writer.write([merged], operations: outcome.operations, operationName: "op")
            for file in written {
                var reference = ProfileReference(
                    kind: kind.rawValue, folded: "\(folder)/\(file.folded)", perOp: file.perOp.map { "\(folder)/\($0)" },
                    svg: "\(folder)/\(file.svg)", unit: file.unit, totalPerOp: file.total, resolvedShare: file.resolvedShare,
                    unknownFrameShare: file.unknownFrameShare, method: file.method, operations: outcome.operations)
                reference.throughput = outcome.elapsedSeconds > 0 ? Double(outcome.operations) / outcome.elapsedSeconds : nil
                reference.unprofiledThroughput = baseline
                references.append(reference)
            }
        }
        return (references, notes)
    }

    /// A file name for a cell: `BenchmarkX/flush=batched` → `BenchmarkX_flush=batched`.
    static func slug(_ cell: String) -> String {
        String(cell.map { $0.isLetter || $0.isNumber || "=-_.".contains($0) ? $0 : "_" })
    }
}
