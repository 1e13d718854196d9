/// Counts a target's system calls. Counters are cumulative from attach; a window is the difference
/// of two snapshots. Keys: `syscalls` (all calls) and `syscalls.<name>`.
protocol SyscallCounter: AnyObject {
    var method: ProbeMethod { get }
    /// Cumulative counts since attach.
    func snapshot() throws(ProbeError) -> [String: UInt64]
    /// Detaches (idempotent).
    func close()
    /// Syscalls since attach by process, when the method keeps them apart (nil otherwise).
    func snapshotByProcess() throws(ProbeError) -> [Int32: UInt64]?
}

extension SyscallCounter {
    func snapshotByProcess() throws(ProbeError) -> [Int32: UInt64]? { nil }
}

/// The ways of counting syscalls, best first, and the fallback between them.
public enum SyscallProbe {
    /// Method names accepted by `forceMethod[.syscalls]`.
    public static let methods: [ProbeMethod] = [.bpf, .perf, .proc]

    /// Attaches the best method that works (or exactly `forced`), appending to `notices` the reason
    /// for every method skipped.
    static func attach(pid: Int32, forced: ProbeMethod?, perfNames: [String]? = nil, mainOnly: Bool = false,
                       privileges: inout ProbePrivileges, notices: inout [String]) throws(ProbeError) -> SyscallCounter {
        let order = forced.map { [$0] } ?? methods
        var reasons: [String] = []
        for method in order {
            do throws(ProbeError) {
                switch method {
                case .bpf:
                    if let refusal = privileges.bpfRefusal { throw ProbeError.unavailable(method: "bpf", reason: refusal) }
                    if let mounted = privileges.ensureTracefs() { notices.append(mounted) }
                    let counter = try BPFSyscallCounter(pid: pid, mainOnly: mainOnly, privileges: privileges)
                    if let notice = counter.notice { notices.append(notice) }
                    return counter
                case .perf:
                    if let mounted = privileges.ensureTracefs() { notices.append(mounted) }
                    if let refusal = privileges.perfRefusal { throw ProbeError.unavailable(method: "perf", reason: refusal) }
                    return try PerfTracepointCounter(pid: pid, privileges: privileges, mainOnly: mainOnly,
                                                     perSyscall: perfNames ?? PerfTracepointCounter.defaultPerSyscall)
                case .proc:
                    let counter = try ProcIOCounter(pid: pid)
                    if !mainOnly { notices.append("syscalls (proc): /proc/\(pid)/io counts the main process only") }
                    if forced == nil {
                        notices.append("syscalls: counting read and write families only, from /proc/PID/io (\(reasons.joined(separator: "; ")))")
                    }
                    return counter
                default:
                    throw ProbeError.invalidArgument("unknown syscall method '\(method.rawValue)'; use one of bpf, perf, proc")
                }
            } catch let error {
                if case .noSuchProcess = error { throw error }
                if forced != nil { throw error }
                reasons.append("\(method.rawValue): \(error)")
            }
        }
        throw .unavailable(method: "syscalls", reason: reasons.joined(separator: "; "))
    }

    /// Turns per-number counts into `syscalls` and `syscalls.<name>` keys (zero counts omitted).
    static func named(_ counts: [UInt64]) -> [String: UInt64] {
        var result: [String: UInt64] = ["syscalls": counts.reduce(0, &+)]
        for (number, count) in counts.enumerated() where count > 0 {
            result["syscalls.\(SyscallTable.name(number))", default: 0] &+= count
        }
        return result
    }
}
