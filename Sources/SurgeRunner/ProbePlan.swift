import Foundation
import SurgeProbes
import SurgeResults

/// Which probes a scenario asked for and how they are split into passes.
///
/// Cheap probes (syscall counts through BPF or perf, the LD_PRELOAD allocation counter, /proc
/// figures) share the speed pass with the driver's throughput and latency. Costly ones (syscall
/// latency, allocation uprobes) would distort those figures, so they run in a profile pass of
/// their own repetitions after the speed pass; its samples are marked `pass: "profile"` and hold
/// only the probe figures.
struct ProbePlan: Sendable {
    var requested: Set<ProbeKind>

    static let none = ProbePlan()

    private init() {
        requested = []
    }

    init(names: [String]) throws(ProbeError) {
        requested = try ProbeKind.parseList(names.joined(separator: ","))
    }

    var isEmpty: Bool { requested.isEmpty }

    /// The preload library is used when allocations are wanted and Surge starts the target.
    var wantsPreload: Bool { requested.contains(.allocations) }

    func speedProbes(preloaded: Bool) -> Set<ProbeKind> {
        requested.subtracting(ProbeKind.costly(requested, preloaded: preloaded))
    }

    func profileProbes(preloaded: Bool) -> Set<ProbeKind> {
        ProbeKind.costly(requested, preloaded: preloaded)
    }
}

/// The probes attached to one target for one pass, tolerant of failure: a probe that cannot
/// attach becomes a note, never a failed cell.
final class AttachedProbes: @unchecked Sendable {
    let session: ProbeSession?
    let notes: [String]

    init(pid: pid_t, probes: Set<ProbeKind>, preload: AllocationPreload?) {
        guard !probes.isEmpty else {
            session = nil
            notes = []
            return
        }
        do {
            let s = try ProbeSession.attach(pid: pid, probes: probes, preload: preload)
            session = s
            notes = ProbeRegistry.unsaid(s.notices)
        } catch {
            session = nil
            notes = ProbeRegistry.unsaid(["probes \(probes.map(\.rawValue).sorted().joined(separator: ", ")) not measured: \(error)"])
        }
    }

    func begin() {
        try? session?.beginWindow()
    }

    /// The window's figures per operation and the method that measured each, or nil.
    func end(operations: Int) -> (metrics: [String: Double], methods: [String: String])? {
        guard let session, let window = try? session.endWindow() else { return nil }
        return window.perOperation(operations)
    }

    func close() {
        session?.close()
    }
}
