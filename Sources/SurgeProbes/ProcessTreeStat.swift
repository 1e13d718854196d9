/// CPU time and peak RSS of a target's process tree over a window, from /proc: the main process
/// and every descendant alive at either edge of the window (an nginx master and its workers).
///
/// - CPU: for each process alive at the end, its CPU clock's advance since the start (all of it
///   for one born inside the window), plus the CPU of children its members reaped inside the window
///   (cutime + cstime, 10 ms ticks), less the start figure of members that were reaped (so their
///   time is not counted twice). A descendant that exits unreaped by the tree inside the window is
///   missed.
/// - Peak RSS: the sum of the members' VmHWM (each reset at the start): an upper bound of the
///   tree's peak, since its processes need not peak at the same moment.
final class ProcessTreeStat {
    let pid: Int32
    private var probes: [Int32: ProcessStatProbe] = [:]
    private var start: [Int32: ProcessStatProbe.Sample] = [:]

    init(pid: Int32) {
        self.pid = pid
    }

    private func probe(_ member: Int32) -> ProcessStatProbe? {
        if let known = probes[member] { return known }
        let fresh = try? ProcessStatProbe(pid: member)
        probes[member] = fresh
        return fresh
    }

    /// Samples every member (and resets their peaks when `resetPeak`).
    func begin(resetPeak: Bool) {
        start = [:]
        for member in ProcessTree.members(of: pid, mainOnly: false) {
            guard let probe = probe(member) else { continue }
            if resetPeak, member != pid { probe.resetPeak() }
            start[member] = try? probe.sample()
        }
    }

    /// The tree's figures, and each member's (`processes[pid]`: cpu-ns, peak-RSS-B).
    func end(into window: inout ProbeWindow, memory: Bool) {
        var cpu: UInt64 = 0, peak: UInt64 = 0, user: UInt64 = 0, system: UInt64 = 0
        var alive = Set<Int32>()
        for member in ProcessTree.members(of: pid, mainOnly: false) {
            guard let probe = probe(member), let after = try? probe.sample() else { continue }
            alive.insert(member)
            let before = start[member] ?? ProcessStatProbe.Sample()
            let own = after.cpuNanoseconds &- before.cpuNanoseconds
            let reaped = (after.childTicks &- before.childTicks) * ProcessStatProbe.nanosecondsPerTick
            cpu &+= own &+ reaped
            user &+= after.userTicks &- before.userTicks
            system &+= after.systemTicks &- before.systemTicks
            window.processes[member, default: [:]]["cpu-ns"] = Double(own)
            if memory, let m = try? probe.memory() {
                peak &+= m.peak
                window.processes[member, default: [:]]["peak-RSS-B"] = Double(m.peak)
            }
        }
        for (member, before) in start where !alive.contains(member) {
            cpu = cpu >= before.cpuNanoseconds ? cpu - before.cpuNanoseconds : 0
        }
        window.record("cpu-ns", Double(cpu), .proc)
        if user + system > 0 {
            let share = Double(user) / Double(user + system)
            window.record("cpu-user-ns", (Double(cpu) * share).rounded(), .proc)
            window.record("cpu-sys-ns", (Double(cpu) * (1 - share)).rounded(), .proc)
        }
        window.record("processes", Double(alive.count), .proc)
        if memory { window.record("peak-RSS-B", Double(peak), .proc) }
        probes = probes.filter { alive.contains($0.key) }
    }
}
