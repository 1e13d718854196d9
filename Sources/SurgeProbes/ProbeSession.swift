import Foundation
import Glibc

/// Every probe attached to one target process, from attach to `close()`. Attach once per target
/// process (attaching and detaching cost milliseconds), then take any number of windows; each
/// window reports the difference of the counters between `beginWindow()` and `endWindow()`.
///
/// Thread-safe (internal lock); usable from async code. Every session registers itself in
/// `ProbeRegistry` so a signal path can close them all.
public final class ProbeSession: @unchecked Sendable {
    public let pid: Int32
    public let probes: Set<ProbeKind>

    private let lock = NSLock()
    private var syscallCounter: SyscallCounter?
    private var latency: SyscallLatencyProbe?
    private var allocationCounter: AllocationCounter?
    private var processStat: ProcessStatProbe?
    /// The rest of the tree's CPU and memory (nil for `mainOnly` and for a gated child, whose
    /// wait4 rusage covers the descendants it reaped).
    private var treeStat: ProcessTreeStat?
    /// What the gated command's own /proc said while it ran (nil unless `beforeExec`).
    private var commandImage: GatedCommandImage?
    private var beforeExec = false
    private var mainOnly = false
    private var peakResetSaid = false
    /// Context switches of the tree (all threads, exited ones included): BPF, else perf, when allowed.
    private var contextSwitches: (any ContextSwitchCounter)?
    private var collectedNotices: [String] = []
    private var closed = false

    private struct Start {
        var time: UInt64
        var syscalls: [String: UInt64]?
        var latency: SyscallLatencyProbe.Snapshot?
        var allocations: [String: AllocationCount]?
        var process: ProcessStatProbe.Sample?
        var contextSwitches: UInt64?
        var syscallsByProcess: [Int32: UInt64]?
        var allocationsByProcess: [Int32: [String: AllocationCount]]?
    }
    private var start: Start?

    /// How the session measures each probe kind (absent kinds are not measured).
    public private(set) var methods: [ProbeKind: ProbeMethod] = [:]

    private init(pid: Int32, probes: Set<ProbeKind>) {
        self.pid = pid
        self.probes = probes
    }

    /// Attaches every requested probe to `pid` once, taking the fallbacks described in DESIGN.md
    /// and saying why in `notices`. `preload` is non-nil when the target was started with it.
    /// `forceMethod` pins a method per kind (`.syscalls`: bpf | perf | proc; `.allocations`:
    /// preload | uprobe); a forced method that cannot work is an error, not a fallback.
    /// `perf:read,write` chooses the syscalls the perf method counts by name besides the total
    /// (`perf:` for the total only); each costs the target one more counter hit per syscall.
    ///
    /// `beforeExec`: the target is a forked child held before exec (`surge probe -- command`):
    /// syscall counters follow it through exec; allocations can only be counted by the preload
    /// library, whose loading is checked by `observeImage()` and at `endWindow`.
    ///
    /// `allowCostly` false (a speed pass) refuses the methods that slow the target (allocation
    /// uprobes); the figure is then absent with a notice and belongs in a profile pass.
    /// `mainOnly` measures `pid` alone instead of its whole process tree (the default: children
    /// alive at attach and, for bpf, perf and preload, those forked later).
    public static func attach(pid: Int32, probes: Set<ProbeKind>, preload: AllocationPreload?,
                              forceMethod: [ProbeKind: String] = [:], beforeExec: Bool = false,
                              allowCostly: Bool = true, mainOnly: Bool = false) throws(ProbeError) -> ProbeSession {
        guard pid > 0, ProcFile.processExists(pid) else { throw .noSuchProcess(pid) }
        var forced: [ProbeKind: ProbeMethod] = [:]
        var perfNames: [String]?
        for (kind, spec) in forceMethod {
            var name = spec
            if kind == .syscalls, spec.hasPrefix("perf:") {
                name = "perf"
                perfNames = spec.dropFirst(5).split(separator: ",").map(String.init)
                for unknown in perfNames ?? [] where SyscallTable.number(unknown) == nil {
                    throw .invalidArgument("perf: '\(unknown)' is not a syscall name on this architecture")
                }
            }
            guard let method = ProbeMethod(rawValue: name) else {
                throw .invalidArgument("unknown method '\(name)' for probe \(kind.rawValue); methods are bpf, perf, proc, preload, uprobe")
            }
            forced[kind] = method
        }
        let session = ProbeSession(pid: pid, probes: probes)
        session.beforeExec = beforeExec
        session.mainOnly = mainOnly
        if beforeExec { session.commandImage = GatedCommandImage(pid: pid) }
        var privileges = ProbePrivileges.current()
        var notices: [String] = []
        do throws(ProbeError) {
            if probes.contains(.syscalls) {
                do throws(ProbeError) {
                    let counter = try SyscallProbe.attach(pid: pid, forced: forced[.syscalls], perfNames: perfNames,
                                                          mainOnly: mainOnly, privileges: &privileges, notices: &notices)
                    session.syscallCounter = counter
                    session.methods[.syscalls] = counter.method
                } catch {
                    if case .noSuchProcess = error { throw error }
                    if forced[.syscalls] != nil { throw error }
                    notices.append("syscalls are not measured: \(error)")
                }
            }
            if probes.contains(.syscallLatency) {
                if let refusal = privileges.bpfRefusal {
                    notices.append("syscall latency is not measured: BPF \(refusal)")
                } else {
                    if let mounted = privileges.ensureTracefs() { notices.append(mounted) }
                    let latency = try SyscallLatencyProbe(pid: pid, mainOnly: mainOnly, privileges: privileges)
                    if let notice = latency.notice { notices.append(notice) }
                    session.latency = latency
                    session.methods[.syscallLatency] = .bpf
                }
            }
            if probes.contains(.allocations) {
                let tree = mainOnly || beforeExec ? [] : ProcessTree.descendants(of: pid)
                if let counter = try AllocationProbe.attach(pid: pid, preload: preload, forced: forced[.allocations],
                                                            privileges: privileges, beforeExec: beforeExec,
                                                            allowCostly: allowCostly, mainOnly: mainOnly, tree: tree,
                                                            notices: &notices) {
                    session.allocationCounter = counter
                    session.methods[.allocations] = counter.method
                }
            }
            if !probes.isDisjoint(with: [.cpu, .memory, .contextSwitches]) {
                let stat = try ProcessStatProbe(pid: pid)
                session.processStat = stat
                if !mainOnly && !beforeExec { session.treeStat = ProcessTreeStat(pid: pid) }
                for kind in [ProbeKind.cpu, .memory, .contextSwitches] where probes.contains(kind) { session.methods[kind] = .proc }
            }
            if probes.contains(.contextSwitches) {
                do throws(ProbeError) {
                    let counter = try contextSwitchCounter(pid: pid, forced: forced[.contextSwitches],
                                                           mainOnly: mainOnly, privileges: privileges,
                                                           notices: &notices)
                    session.contextSwitches = counter
                    session.methods[.contextSwitches] = counter.method
                } catch {
                    if case .noSuchProcess = error { throw error }
                    if forced[.contextSwitches] != nil { throw error }
                    notices.append("context switches: summed over live threads from /proc (threads that exit inside a window are missed): \(error)")
                }
            }
        } catch {
            session.close()
            throw error
        }
        session.collectedNotices = notices
        ProbeRegistry.shared.register(session)
        return session
    }

    /// The context-switch counter: BPF on `sched_switch` (under ~100 ns per switch), else the
    /// inherited perf software counter (200–380 ns per switch of the target), or the forced one.
    private static func contextSwitchCounter(pid: Int32, forced: ProbeMethod?, mainOnly: Bool,
                                             privileges: ProbePrivileges,
                                             notices: inout [String]) throws(ProbeError) -> any ContextSwitchCounter {
        switch forced {
        case .bpf?, nil:
            if let refusal = privileges.bpfRefusal {
                if forced != nil { throw .unavailable(method: "bpf", reason: refusal) }
            } else {
                do throws(ProbeError) {
                    let counter = try BPFContextSwitchCounter(pid: pid, mainOnly: mainOnly, privileges: privileges)
                    if let notice = counter.notice { notices.append(notice) }
                    return counter
                } catch {
                    if case .noSuchProcess = error { throw error }
                    if forced != nil { throw error }
                    notices.append("context switches: BPF could not attach (\(error)); counted by perf instead")
                }
            }
        case .perf?:
            break
        case let other?:
            throw .invalidArgument("method '\(other.rawValue)' cannot count context switches; methods are bpf, perf")
        }
        // PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES.
        return try PerThreadPerfCounter(pid: pid, type: 1, config: 3, label: "context-switches", mainOnly: mainOnly)
    }

    /// Things the user must be told once: each fallback taken and why, targets whose allocations
    /// cannot be counted, peak RSS that could not be reset.
    public var notices: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collectedNotices + (processStat?.notices ?? [])
    }

    /// A counter snapshot; for a child that has exited, a failure (an unprivileged process cannot
    /// read a zombie's /proc/PID/io) becomes a notice and the figures are left out. With
    /// `tolerateExit`, so does a failure because the process exited after `exited` was decided.
    private func afterExit<T>(_ exited: Bool, tolerateExit: Bool, _ what: String,
                              _ read: () throws(ProbeError) -> T) throws(ProbeError) -> T? {
        do {
            return try read()
        } catch {
            guard exited || (tolerateExit && ProcFile.hasExited(pid)) else { throw error }
            appendNotice("\(what) are not reported: they could not be read once process \(pid) had exited (\(error)); measure it with --pid, or as root")
            return nil
        }
    }

    private func appendNotice(_ notice: String) {
        if !collectedNotices.contains(notice) { collectedNotices.append(notice) }
    }

    /// Starts a measurement window: resets VmHWM and reads every counter.
    public func beginWindow() throws(ProbeError) {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw .misuse("beginWindow on a closed probe session (pid \(pid))") }
        guard ProcFile.processExists(pid) else { throw .noSuchProcess(pid) }
        if probes.contains(.memory), let stat = processStat {
            let lifetime = try? stat.memory().peak
            stat.resetPeak()
            if !beforeExec, !peakResetSaid, stat.notices.isEmpty {
                peakResetSaid = true
                let mib = lifetime.map { String(format: " (it was %.1f MiB)", Double($0) / 1_048_576) } ?? ""
                collectedNotices.append("memory: peak-RSS-B is each window's peak: Surge reset the lifetime peak (VmHWM) of pid \(pid) through /proc/\(pid)/clear_refs\(mib)")
            }
        }
        treeStat?.begin(resetPeak: probes.contains(.memory))
        if !mainOnly, let uprobes = allocationCounter as? UprobeAllocationCounter {
            try uprobes.follow(ProcessTree.members(of: pid, mainOnly: false))
        }
        start = Start(
            time: Self.monotonicNanoseconds(),
            syscalls: try syscallCounter?.snapshot(),
            latency: try latency?.snapshot(),
            allocations: try allocationCounter?.snapshot(),
            process: try processStat?.sample(),
            contextSwitches: try contextSwitches?.read(),
            syscallsByProcess: try syscallCounter?.snapshotByProcess(),
            allocationsByProcess: try allocationCounter?.snapshotByProcess()
        )
    }

    /// Ends the window and returns its totals. Throws `noSuchProcess` if the target has exited.
    public func endWindow() throws(ProbeError) -> ProbeWindow {
        try endWindow(reapedUsage: nil)
    }

    /// Ends the window of a process that may have exited during it (not a child of ours): the
    /// counters that outlive it (bpf, perf, uprobe, preload) are reported; the /proc figures it
    /// took with it are left out, with a notice.
    public func endWindowTolerantOfExit() throws(ProbeError) -> ProbeWindow {
        try endWindow(reapedUsage: nil, tolerateExit: true)
    }


    /// Ends the window of a child started with `GatedChild` that has exited (`waitForExit()`) but
    /// not been reaped: reads the counters (the /proc ones while the zombie still has them), then
    /// reaps the child and takes the process figures from its wait4 `rusage` (its whole life,
    /// exited threads included).
    public func endWindow(reaping child: GatedChild) throws(ProbeError) -> ProbeWindow {
        reapedChild = (child.preExecCPUNanoseconds, child.preExecPeakBytes)
        return try endWindow(reapedUsage: { () throws(ProbeError) -> rusage in try child.wait().usage })
    }

    /// The gated child's pre-exec CPU and peak RSS, for the window being ended.
    private var reapedChild: (cpu: UInt64, peak: UInt64) = (0, 0)

    private func endWindow(reapedUsage: (() throws(ProbeError) -> rusage)?, tolerateExit: Bool = false) throws(ProbeError) -> ProbeWindow {
        let exited = reapedUsage != nil || (tolerateExit && !ProcFile.processExists(pid))
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw .misuse("endWindow on a closed probe session (pid \(pid))") }
        guard let start else { throw .misuse("endWindow without beginWindow (pid \(pid))") }
        self.start = nil
        var window = ProbeWindow()
        if let counter = syscallCounter, let before = start.syscalls,
           let after = try afterExit(exited, tolerateExit: tolerateExit, "syscalls", {
               () throws(ProbeError) in try counter.snapshot()
           }) {
            for (key, value) in after {
                let delta = value &- (before[key] ?? 0)
                if key == "syscalls" || delta > 0 { window.record(key, Double(delta), counter.method) }
            }
            if let after = try? counter.snapshotByProcess(), let before = start.syscallsByProcess, after.count > 1 {
                for (member, count) in after where count > (before[member] ?? 0) {
                    window.processes[member, default: [:]]["syscalls"] = Double(count - (before[member] ?? 0))
                }
            }
        }
        if let latency, let before = start.latency {
            SyscallLatencyProbe.record(from: before, to: try latency.snapshot(), into: &window)
        }
        if let counter = allocationCounter, let before = start.allocations {
            let after = try counter.snapshot()
            var delta: [String: AllocationCount] = [:]
            for (function, count) in after {
                let old = before[function] ?? AllocationCount()
                delta[function] = AllocationCount(calls: count.calls &- old.calls, bytes: count.bytes &- old.bytes)
            }
            if let reason = allocationRefusal(counter) {
                appendNotice(reason)
            } else {
                AllocationProbe.record(delta, method: counter.method, into: &window)
                if let after = try counter.snapshotByProcess(), let before = start.allocationsByProcess, after.count > 1 {
                    for (owner, counts) in after where owner != 0 {
                        var calls: UInt64 = 0, bytes: UInt64 = 0
                        for (function, count) in counts where !AllocationProbe.releasing.contains(function) {
                            let old = before[owner]?[function] ?? AllocationCount()
                            calls &+= count.calls &- old.calls
                            bytes &+= count.bytes &- old.bytes
                        }
                        if calls > 0 {
                            window.processes[owner, default: [:]]["allocs"] = Double(calls)
                            window.processes[owner, default: [:]]["alloc-bytes"] = Double(bytes)
                        }
                    }
                }
            }
        }
        if let reapedUsage {
            ProcessStatProbe.record(usage: try reapedUsage(), into: &window, preExecCPU: reapedChild.cpu)
            if let notice = commandImage?.correctPeak(in: &window, preExecPeak: reapedChild.peak) { appendNotice(notice) }
        } else if exited, processStat != nil {
            appendNotice(exitedDuringWindow)
        } else if let stat = processStat, let before = start.process {
            // A target that is not our child can exit (and be reaped) between the check above and
            // these reads; tolerated, that is the same case as having exited before the window ended.
            var figures = window
            do {
                try recordProcessFigures(stat, from: before, start: start, into: &figures)
                window = figures
            } catch {
                guard tolerateExit, ProcFile.hasExited(pid) else { throw error }
                appendNotice(exitedDuringWindow)
            }
        }
        window.durationNanoseconds = Self.monotonicNanoseconds() &- start.time
        return window
    }

    private var exitedDuringWindow: String {
        "CPU, memory and context switches are not reported: process \(pid) exited during the window"
    }

    /// CPU, context switches, memory and the process tree's figures over the window, from /proc.
    private func recordProcessFigures(_ stat: ProcessStatProbe, from before: ProcessStatProbe.Sample, start: Start,
                                      into window: inout ProbeWindow) throws(ProbeError) {
        let after = try stat.sample()
        ProcessStatProbe.record(from: before, to: after, into: &window,
                                cpu: probes.contains(.cpu), contextSwitches: probes.contains(.contextSwitches))
        if let counter = contextSwitches, let before = start.contextSwitches {
            window.record("ctxsw", Double(try counter.read() &- before), counter.method)
        }
        if probes.contains(.memory) {
            let memory = try stat.memory()
            window.record("peak-RSS-B", Double(memory.peak), .proc)
            window.record("RSS-B", Double(memory.current), .proc)
        }
        if let treeStat {
            var tree = ProbeWindow()
            treeStat.end(into: &tree, memory: probes.contains(.memory))
            if (tree.totals["processes"] ?? 1) > 1 {
                for key in ["cpu-ns", "cpu-user-ns", "cpu-sys-ns", "peak-RSS-B"] where tree.totals[key] != nil {
                    guard key.hasPrefix("cpu") ? probes.contains(.cpu) : true else { continue }
                    window.totals[key] = tree.totals[key]
                    window.methods[key] = tree.methods[key]
                }
                for (member, figures) in tree.processes {
                    window.processes[member, default: [:]].merge(figures) { $1 }
                }
            }
            window.record("processes", tree.totals["processes"] ?? 1, .proc)
        }
    }

    /// Why the allocation counts must not be reported, or nil (gated commands only).
    private func allocationRefusal(_ counter: AllocationCounter) -> String? {
        guard let preloaded = counter as? PreloadAllocationCounter, let commandImage else { return nil }
        return commandImage.allocationRefusal(loaded: preloaded.loaded)
    }

    /// For a gated command: looks at its current image (see `GatedCommandImage`). Call it now and
    /// then while the command runs; harmless once it has exited.
    public func observeImage() {
        commandImage?.observe()
    }

    /// Detaches everything: BPF programs and links, perf counters, uprobes, mappings. Idempotent;
    /// also run by deinit and by `ProbeRegistry.closeAll()`.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        syscallCounter?.close()
        contextSwitches?.close()
        contextSwitches = nil
        latency?.close()
        allocationCounter?.close()
        syscallCounter = nil
        latency = nil
        allocationCounter = nil
        ProbeRegistry.shared.unregister(self)
    }

    deinit { close() }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
