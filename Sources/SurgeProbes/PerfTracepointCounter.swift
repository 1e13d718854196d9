/// Counts a process's syscalls with perf_event_open counters on the `raw_syscalls:sys_enter`
/// tracepoint: one counter per thread alive at attach, with `inherit` so threads they create later
/// are counted in their creator's counter (exited threads' counts stay in it). Besides the total,
/// one filtered counter (`id == N`) per thread for each syscall in `perSyscall`. ~180 ns per
/// syscall to the target only, plus about as much again for each named counter (every counter of a
/// thread sees every syscall and evaluates its filter). Needs tracefs for the tracepoint id.
final class PerfTracepointCounter: SyscallCounter {
    let method = ProbeMethod.perf
    /// Syscalls counted by name besides the total (each costs one counter per thread). Choose
    /// others with `forceMethod: [.syscalls: "perf:name,name"]`.
    static let defaultPerSyscall = ["read", "write", "writev", "sendmsg"]

    private var total: PerThreadPerfCounter?
    private var named: [(name: String, counter: PerThreadPerfCounter)] = []

    init(pid: Int32, privileges: ProbePrivileges, mainOnly: Bool = false, perSyscall: [String] = defaultPerSyscall) throws(ProbeError) {
        let id = try privileges.tracepointID("raw_syscalls", "sys_enter")
        do throws(ProbeError) {
            total = try PerThreadPerfCounter(pid: pid, type: 2, config: id, label: "raw_syscalls:sys_enter", mainOnly: mainOnly)
            for name in perSyscall {
                guard let number = SyscallTable.number(name) else { continue }
                named.append((name, try PerThreadPerfCounter(pid: pid, type: 2, config: id, filter: "id == \(number)",
                                                             label: "raw_syscalls:sys_enter id == \(number)", mainOnly: mainOnly)))
            }
        } catch {
            close()
            throw error
        }
    }

    func snapshot() throws(ProbeError) -> [String: UInt64] {
        guard let total else { throw .misuse("perf syscall counter used after close") }
        var result: [String: UInt64] = ["syscalls": try total.read()]
        for (name, counter) in named { result["syscalls.\(name)"] = try counter.read() }
        return result
    }

    func close() {
        let counters = (total.map { [$0] } ?? []) + named.map(\.counter)
        total = nil
        named = []
        ParallelClose.run(counters.map { counter in { @Sendable in counter.close() } })
    }

    deinit { close() }
}
