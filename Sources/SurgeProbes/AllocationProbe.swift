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
    /// Cumulative counts by process id, when the method keeps them apart (nil otherwise).
    func snapshotByProcess() throws(ProbeError) -> [Int32: [String: AllocationCount]]?
}

extension AllocationCounter {
    func snapshotByProcess() throws(ProbeError) -> [Int32: [String: AllocationCount]]? { nil }
}

/// The ways of counting allocations: the LD_PRELOAD library when the harness started the target
/// with it (a few ns per call), else BPF uprobes on the target's allocator library (~1–2 µs per
/// call: profile passes only). Both count what valgrind's "total heap usage" counts: each call the
/// program makes, not glibc's calls to itself inside one (see Sources/CSurgeAllocCounter's header
/// and PROBES.md, "What an allocation is").
public enum AllocationProbe {
    /// Functions counted, in the order of the preload library's slots. `realloc` holds the realloc
    /// calls that allocate; `realloc-frees` the realloc calls that released a block.
    public static let functions = ["malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc",
                                   "memalign", "valloc", "pvalloc", "realloc-frees"]
    /// Functions whose calls release a block (`frees`) rather than allocate one.
    static let releasing: Set<String> = ["free", "realloc-frees"]
    public static let methods: [ProbeMethod] = [.preload, .uprobe]

    /// Attaches a counter, or returns nil with a notice saying why allocations are not measured
    /// (Go, static binaries, no preload in the process and costly methods not allowed): their counts
    /// would be a misleading zero. `allowCostly` false (a speed pass) allows the preload library only.
    static func attach(pid: Int32, preload: AllocationPreload?, forced: ProbeMethod?, privileges: ProbePrivileges,
                       beforeExec: Bool = false, allowCostly: Bool = true, mainOnly: Bool = false,
                       tree: [Int32] = [], notices: inout [String]) throws(ProbeError) -> AllocationCounter? {
        if beforeExec {
            guard forced == nil || forced == .preload else {
                throw .unavailable(method: forced?.rawValue ?? "", reason: "uprobes attach to a running process; use --pid")
            }
            guard let preload else {
                notices.append("allocations are not measured: the command was not started with the preload library")
                return nil
            }
            return try PreloadAllocationCounter(preload: preload, pid: pid, mainOnly: mainOnly, requireMapped: false)
        }
        let binary = try TargetBinary(pid: pid)
        if let refusal = binary.mallocRefusal {
            notices.append(refusal)
            return nil
        }
        var order = forced.map { [$0] } ?? (preload == nil ? [.uprobe] : methods)
        if !allowCostly && forced == nil { order.removeAll { $0 == .uprobe } }
        var reasons: [String] = []
        for method in order {
            do throws(ProbeError) {
                switch method {
                case .preload:
                    guard let preload else {
                        throw ProbeError.unavailable(method: "preload", reason: "the target was not started with the preload library")
                    }
                    return try PreloadAllocationCounter(preload: preload, pid: pid, mainOnly: mainOnly)
                case .uprobe:
                    if let refusal = privileges.bpfRefusal { throw ProbeError.unavailable(method: "uprobe", reason: refusal) }
                    guard let library = binary.allocatorLibrary else {
                        throw ProbeError.unavailable(method: "uprobe", reason: "no libc mapped in the target")
                    }
                    let counter = try UprobeAllocationCounter(pids: mainOnly ? [pid] : [pid] + tree, library: library)
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
        let later = allowCostly ? "" : " in the speed pass (uprobes, ~1 µs per call, run in the profile pass only)"
        notices.append("allocations are not measured\(later): \(reasons.joined(separator: "; "))")
        return nil
    }

    /// Window totals: `allocs.<f>` / `alloc-bytes.<f>` per allocating function with calls, `allocs`
    /// and `alloc-bytes` over the allocating functions, and `frees` (free of a non-NULL pointer, and
    /// realloc of a non-NULL pointer, which releases it).
    static func record(_ delta: [String: AllocationCount], method: ProbeMethod, into window: inout ProbeWindow) {
        var calls: UInt64 = 0, bytes: UInt64 = 0, frees: UInt64 = 0
        for (function, count) in delta {
            if releasing.contains(function) {
                frees &+= count.calls
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
        window.record("frees", Double(frees), method)
    }
}
