/// Calls and requested bytes of one allocation function.
struct AllocationCount: Sendable, Equatable {
    var calls: UInt64 = 0
    var bytes: UInt64 = 0
}

/// Counts a target's calls to the malloc family. Counters are cumulative; a window is the
/// difference of two snapshots.
protocol AllocationCounter: AnyObject {
    var method: ProbeMethod { get }
    /// Cumulative counts by function name (see `AllocationProbe.functions`).
    func snapshot() throws(ProbeError) -> [String: AllocationCount]
    func close()
}

/// The ways of counting allocations: the LD_PRELOAD library when the harness started the target
/// with it (a few ns per call), else BPF uprobes on the target's libc (~1 µs per call: profile
/// passes only).
public enum AllocationProbe {
    /// Functions counted, in the order of the preload library's slots.
    public static let functions = ["malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign", "valloc"]
    public static let methods: [ProbeMethod] = [.preload, .uprobe]

    /// Attaches a counter, or returns nil with a notice when the target does not allocate through
    /// malloc (Go, static binaries): its counts would be a misleading zero.
    static func attach(pid: Int32, preload: AllocationPreload?, forced: ProbeMethod?, privileges: ProbePrivileges,
                       beforeExec: Bool = false, notices: inout [String]) throws(ProbeError) -> AllocationCounter? {
        if beforeExec {
            guard forced == nil || forced == .preload else {
                throw .unavailable(method: forced?.rawValue ?? "", reason: "uprobes attach to a running process; use --pid")
            }
            guard let preload else {
                notices.append("allocations are not measured: the command was not started with the preload library")
                return nil
            }
            return try PreloadAllocationCounter(preload: preload, pid: pid, requireLoaded: false)
        }
        let binary = try TargetBinary(pid: pid)
        if let refusal = binary.mallocRefusal {
            notices.append(refusal)
            return nil
        }
        let order = forced.map { [$0] } ?? (preload == nil ? [.uprobe] : methods)
        var reasons: [String] = []
        for method in order {
            do throws(ProbeError) {
                switch method {
                case .preload:
                    guard let preload else {
                        throw ProbeError.unavailable(method: "preload", reason: "the target was not started with the preload library")
                    }
                    return try PreloadAllocationCounter(preload: preload, pid: pid)
                case .uprobe:
                    if let refusal = privileges.bpfRefusal { throw ProbeError.unavailable(method: "uprobe", reason: refusal) }
                    guard let libc = binary.libc else { throw ProbeError.unavailable(method: "uprobe", reason: "no libc mapped in the target") }
                    let counter = try UprobeAllocationCounter(pid: pid, libc: libc)
                    notices.append(contentsOf: counter.notices)
                    if !reasons.isEmpty { notices.append("allocations: counting with uprobes (~1 µs per call) because \(reasons.joined(separator: "; "))") }
                    return counter
                default:
                    throw ProbeError.invalidArgument("unknown allocation method '\(method.rawValue)'; use preload or uprobe")
                }
            } catch let error {
                if case .noSuchProcess = error { throw error }
                if forced != nil { throw error }
                reasons.append("\(method.rawValue): \(error)")
            }
        }
        notices.append("allocations are not measured: \(reasons.joined(separator: "; "))")
        return nil
    }

    /// Window totals: `allocs.<f>` / `alloc-bytes.<f>` per function with calls, `allocs` and
    /// `alloc-bytes` over the allocating functions, and `frees`.
    static func record(_ delta: [String: AllocationCount], method: ProbeMethod, into window: inout ProbeWindow) {
        var calls: UInt64 = 0, bytes: UInt64 = 0
        for (function, count) in delta {
            if function == "free" {
                window.record("frees", Double(count.calls), method)
                continue
            }
            calls &+= count.calls
            bytes &+= count.bytes
            if count.calls > 0 {
                window.record("allocs.\(function)", Double(count.calls), method)
                window.record("alloc-bytes.\(function)", Double(count.bytes), method)
            }
        }
        window.record("allocs", Double(calls), method)
        window.record("alloc-bytes", Double(bytes), method)
    }
}
