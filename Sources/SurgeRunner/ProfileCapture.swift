import Foundation
import SurgeLoad
import SurgeProfile
import SurgeResults

/// Stack profiles of a cell (`profile:` in the scenario, `--profile` on `surge run` and `surge ab`),
/// taken in the profile pass after its probe repetitions, never in the speed pass. Per kind,
/// `costWindows` pairs of windows on the same target: one with only that kind attached, one with
/// nothing attached, in ABBA order (UP, PU, UP, ...) so a drift of the machine cancels. The
/// profiled windows' stacks are summed (more samples than one window gives) and normalised by
/// their operations; the medians of the two kinds of window give the cost of profiling, and each
/// pair's ratio its spread. Kinds do not disturb each other: each has windows of its own. Files go
/// to `<run id>.profiles/` beside the result file; the references hold paths relative to it.
struct ProfileCapture {
    var kinds: [ProfileKind]
    /// The result file's directory.
    var directory: String
    /// The run id: the files go to `<directory>/<runID>.profiles/`.
    var runID: String
    /// CPU samples per second (`--profile-frequency`).
    var frequency = 99
    /// Profiled/unprofiled pairs of windows per kind.
    var costWindows = 3

    init(names: [String], resultPath: String, runID: String, frequency: Int? = nil, costWindows: Int? = nil)
        throws(ProfileError)
    {
        kinds = try ProfileKind.parseList(names.joined(separator: ","))
        directory = (resultPath as NSString).deletingLastPathComponent
        self.runID = runID
        if let frequency { self.frequency = frequency }
        if let costWindows { self.costWindows = max(1, costWindows) }
    }

    var isEmpty: Bool { kinds.isEmpty }

    /// One kind's windows: the merged profile of its profiled windows and the throughput of each.
    private struct Windows {
        var profile: Profile?
        var operations = 0
        var profiled: [Double] = []
        var unprofiled: [Double] = []
    }

    /// Runs the windows on `session` against the target's processes; returns the references and the
    /// notes to record (a kind that cannot attach is a note, not a failed cell).
    func run(cell: String, session: any WorkloadSession, pids: [Int32], progress: ProgressDisplay)
        async throws -> (references: [ProfileReference], notes: [String])
    {
        var notes: [String] = []
        let folder = "\(runID).profiles"
        let writer = ProfileWriter(
            directory: (directory as NSString).appendingPathComponent(folder), base: Self.slug(cell), subject: cell,
            frequency: frequency)
        var references: [ProfileReference] = []
        kinds: for kind in kinds {
            var windows = Windows()
            for pair in 0..<costWindows {
                for profiled in pair % 2 == 0 ? [false, true] : [true, false] {
                    let label = "\(pair + 1)/\(costWindows)"
                    if !profiled {
                        progress.phase("profile pass (unprofiled, for the cost of \(kind.rawValue) profiling) \(label)")
                        let outcome = try await session.run(.measure) { [progress] f in progress.fraction(f) }
                        windows.unprofiled.append(Self.rate(outcome))
                        continue
                    }
                    progress.phase("profile pass (\(kind.rawValue) stacks) \(label)")
                    guard
                        let (profile, outcome) = try await profiledWindow(
                            kind, session: session, pids: pids, progress: progress, notes: &notes)
                    else { continue kinds }
                    windows.profile = windows.profile.map { $0.merging(profile) } ?? profile
                    windows.operations += outcome.operations
                    windows.profiled.append(Self.rate(outcome))
                }
            }
            guard let merged = windows.profile else { continue }
            let written = try writer.write([merged], operations: windows.operations, operationName: "op")
            for file in written {
                var reference = ProfileReference(
                    kind: kind.rawValue, folded: "\(folder)/\(file.folded)",
                    perOp: file.perOp.map { "\(folder)/\($0)" },
                    svg: "\(folder)/\(file.svg)", unit: file.unit, totalPerOp: file.total,
                    resolvedShare: file.resolvedShare, unknownFrameShare: file.unknownFrameShare, method: file.method,
                    operations: windows.operations)
                reference.throughput = Self.median(windows.profiled)
                reference.unprofiledThroughput = Self.median(windows.unprofiled)
                reference.costWindows = windows.profiled.count
                reference.costRatios = zip(windows.profiled, windows.unprofiled).map { $1 > 0 ? $0 / $1 : .nan }
                    .filter(\.isFinite)
                references.append(reference)
            }
        }
        return (references, notes)
    }

    /// One window with `kind` attached to every process; nil (with a note) when nothing could attach.
    private func profiledWindow(
        _ kind: ProfileKind, session: any WorkloadSession, pids: [Int32], progress: ProgressDisplay,
        notes: inout [String]
    ) async throws -> (Profile, WorkloadOutcome)? {
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
        guard !profilers.isEmpty else { return nil }
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
        let ofKind = profiles.filter { $0.kind == kind }
        guard let first = ofKind.first else {
            notes.append("\(kind.rawValue) profile: no method could attach")
            return nil
        }
        return (ofKind.dropFirst().reduce(first) { $0.merging($1) }, outcome)
    }

    static func rate(_ outcome: WorkloadOutcome) -> Double {
        outcome.elapsedSeconds > 0 ? Double(outcome.operations) / outcome.elapsedSeconds : .nan
    }

    static func median(_ values: [Double]) -> Double? {
        let s = values.filter(\.isFinite).sorted()
        guard !s.isEmpty else { return nil }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// A file name for a cell: `BenchmarkX/flush=batched` → `BenchmarkX_flush=batched`.
    static func slug(_ cell: String) -> String {
        String(cell.map { $0.isLetter || $0.isNumber || "=-_.".contains($0) ? $0 : "_" })
    }
}
