import CSurgeSys
import Glibc

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

    private var totalFDs: [Int32] = []
    private var namedFDs: [(name: String, fd: Int32)] = []

    init(pid: Int32, privileges: ProbePrivileges, perSyscall: [String] = defaultPerSyscall) throws(ProbeError) {
        let id = try privileges.tracepointID("raw_syscalls", "sys_enter")
        let numbered = perSyscall.compactMap { name in SyscallTable.number(name).map { (name, $0) } }
        var seen = Set<Int32>()
        do throws(ProbeError) {
            while true {
                let fresh = try ProcFile.threads(of: pid).filter { !seen.contains($0) }
                if fresh.isEmpty { break }
                for tid in fresh {
                    seen.insert(tid)
                    let fd = surge_perf_counter_open(2, id, tid, 1)
                    if fd < 0 {
                        if errno == ESRCH { continue }
                        if errno == EACCES || errno == EPERM {
                            throw ProbeError.unavailable(method: "perf", reason: "perf_event_open refused (\(String(cString: strerror(errno)))); needs root or CAP_PERFMON")
                        }
                        throw ProbeError.errno("perf_event_open(raw_syscalls:sys_enter, tid \(tid))")
                    }
                    totalFDs.append(fd)
                    for (name, number) in numbered {
                        let nfd = surge_perf_counter_open(2, id, tid, 1)
                        if nfd < 0 { throw ProbeError.errno("perf_event_open(raw_syscalls:sys_enter id == \(number), tid \(tid))") }
                        namedFDs.append((name, nfd))
                        if surge_perf_set_filter(nfd, "id == \(number)") != 0 {
                            throw ProbeError.errno("PERF_EVENT_IOC_SET_FILTER id == \(number)")
                        }
                    }
                }
            }
        } catch {
            close()
            throw error
        }
        if totalFDs.isEmpty {
            throw .noSuchProcess(pid)
        }
    }

    func snapshot() throws(ProbeError) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        var total: UInt64 = 0
        for fd in totalFDs {
            var value: UInt64 = 0
            if surge_perf_read(fd, &value) != 0 { throw .errno("read(perf counter)") }
            total &+= value
        }
        result["syscalls"] = total
        for (name, fd) in namedFDs {
            var value: UInt64 = 0
            if surge_perf_read(fd, &value) != 0 { throw .errno("read(perf counter \(name))") }
            result["syscalls.\(name)", default: 0] &+= value
        }
        return result
    }

    func close() {
        let fds = totalFDs + namedFDs.map(\.fd)
        ParallelClose.run(fds.map { fd in { @Sendable in _ = Glibc.close(fd) } })
        totalFDs = []
        namedFDs = []
    }

    deinit { close() }
}
