import Foundation
import SurgeProbes
import SurgeResults
import Synchronization

/// Which probes a scenario asked for and how they are split into passes.
///
/// Cheap probes (syscall counts through BPF or perf, the LD_PRELOAD allocation counter, /proc
/// figures) share the speed pass with the driver's throughput and latency. Costly ones (syscall
/// latency, allocation uprobes) would distort those figures, so they run in a profile pass of
/// their own repetitions after the speed pass, always: the speed pass never falls back to a costly
/// method. Allocations are counted in the speed pass only by the preload library, and only when
/// the target's own process has it mapped; otherwise they move to the profile pass (uprobes).
/// Profile samples are marked `pass: "profile"` and hold only the probe figures.
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

    /// The probes attached in the speed pass (with costly methods refused).
    func speedProbes(preloaded: Bool) -> Set<ProbeKind> {
        requested.filter { !$0.isCostly && ($0 != .allocations || preloaded) }
    }

    /// The probes of the profile pass, given whether the speed pass measured allocations.
    func profileProbes(allocationsMeasured: Bool) -> Set<ProbeKind> {
        var costly = requested.filter(\.isCostly)
        if requested.contains(.allocations) && !allocationsMeasured { costly.insert(.allocations) }
        return costly
    }
}

/// The probes attached to a target's processes (one, or every node of a multi-node target) for
/// one pass, tolerant of failure: a probe that cannot attach becomes a note, never a failed cell.
/// With several processes the figures are summed, and the main ones are also kept per node as
/// `node<i>.<metric>`.
final class AttachedProbes: @unchecked Sendable {
    let sessions: [ProbeSession]
    let notes: [String]

    /// Per-node figures kept for multi-node targets.
    static let perNodeMetrics = ["syscalls/op", "allocs/op", "cpu-ns/op", "peak-RSS-B"]

    /// True when every process's session measures allocations.
    let measuresAllocations: Bool
    /// For each requested probe that no method measures: its main metrics → "not measured: why",
    /// recorded in the cell's probeMethods (a later pass that measures it replaces the entry).
    let absent: [String: String]

    static let metricsOfKind: [ProbeKind: [String]] = [
        .syscalls: ["syscalls/op"], .allocations: ["allocs/op", "B/op"], .cpu: ["cpu-ns/op"],
        .memory: ["peak-RSS-B"], .contextSwitches: ["ctxsw/op"], .syscallLatency: ["syscall-ns/op"],
    ]

    /// `allowCostly` false in the speed pass: a probe whose cheap method cannot work is left out
    /// (with a note) rather than measured by a costly one.
    init(pids: [pid_t], probes: Set<ProbeKind>, preload: AllocationPreload?, allowCostly: Bool) {
        guard !probes.isEmpty else {
            sessions = []
            notes = []
            measuresAllocations = false
            absent = [:]
            return
        }
        var sessions: [ProbeSession] = []
        var notes: [String] = []
        for pid in pids {
            do {
                let s = try ProbeSession.attach(pid: pid, probes: probes, preload: preload, allowCostly: allowCostly)
                sessions.append(s)
                notes += s.notices
            } catch {
                notes.append("probes \(probes.map(\.rawValue).sorted().joined(separator: ", ")) not measured on pid \(pid): \(error)")
            }
        }
        self.sessions = sessions.count == pids.count ? sessions : []
        if sessions.count != pids.count { sessions.forEach { $0.close() } }
        measuresAllocations = !self.sessions.isEmpty && self.sessions.allSatisfy { $0.methods[.allocations] != nil }
        var absent: [String: String] = [:]
        for kind in probes {
            let measured = !self.sessions.isEmpty && self.sessions.allSatisfy { $0.methods[kind] != nil }
            guard !measured else { continue }
            let word = kind == .contextSwitches ? "context switch" : kind == .syscallLatency ? "latency" : kind.rawValue
            let why = notes.first { $0.lowercased().contains(word) } ?? notes.first ?? "no method could attach"
            for metric in Self.metricsOfKind[kind] ?? [] { absent[metric] = "not measured: \(why)" }
        }
        self.absent = absent
        self.notes = ProbeRegistry.unsaid(notes)
    }

    var isAttached: Bool { !sessions.isEmpty }

    /// Why a window lost its figures since the last `takeFailures()`, for the run's notes.
    private let failures = Mutex<[String]>([])

    func begin() {
        for s in sessions {
            do { try s.beginWindow() } catch { lost("the probes' window on pid \(s.pid) did not start: \(error)") }
        }
    }

    /// The window's figures per operation and the method that measured each, or nil (with a
    /// failure to take when a window could not be read).
    func end(operations: Int) -> (metrics: [String: Double], methods: [String: String])? {
        guard !sessions.isEmpty else { return nil }
        var windows: [ProbeWindow] = []
        for s in sessions {
            do {
                windows.append(try s.endWindow())
            } catch {
                lost("the probes' window on pid \(s.pid) could not be read: \(error)")
                return nil
            }
        }
        guard windows.count > 1 else { return windows.first?.perOperation(operations) }
        // The preload library's counters live in one shared file that every node of the target
        // adds to, so each node's window already holds the total for all nodes: count it once.
        let shared = { (key: String) in
            (key.hasPrefix("alloc") || key == "frees") && windows[0].methods[key] == "preload"
        }
        var sum = ProbeWindow(methods: windows[0].methods)
        for (i, w) in windows.enumerated() {
            for (k, v) in w.totals where i == 0 || !shared(k) { sum.totals[k, default: 0] += v }
        }
        var result = sum.perOperation(operations)
        for (i, w) in windows.enumerated() {
            let perNode = w.perOperation(operations)
            for key in Self.perNodeMetrics where !(key == "allocs/op" && shared("allocs")) {
                guard let v = perNode.metrics[key] else { continue }
                result.metrics["node\(i).\(key)"] = v
                result.methods["node\(i).\(key)"] = perNode.methods[key]
            }
        }
        return result
    }

    func close() {
        sessions.forEach { $0.close() }
    }

    /// The failures since the last call, each once.
    func takeFailures() -> [String] {
        failures.withLock { list in
            defer { list = [] }
            return list
        }
    }

    private func lost(_ text: String) {
        failures.withLock { $0.append(text + "; that repetition has no probe figures") }
    }
}
