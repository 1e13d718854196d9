/// The totals a `ProbeSession` measured over one measurement window, with the method that measured
/// each figure.
///
/// Keys of `totals`: `syscalls`, `syscalls.<name>`, `syscall-ns`, `syscall-ns.<name>` (latency
/// probe), `allocs` (calls that allocate: malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign, valloc), `alloc-bytes` (bytes requested), `allocs.<function>`,
/// `alloc-bytes.<function>`, `frees`, `cpu-ns`, `cpu-user-ns`, `cpu-sys-ns`, `ctxsw`,
/// `ctxsw-voluntary`, `ctxsw-involuntary`, `page-faults-minor`, `page-faults-major`,
/// `peak-RSS-B`, `RSS-B`, `threads`, `processes` (members of the tree alive at the end). A figure that could not be measured is absent, never zero.
public struct ProbeWindow: Sendable, Equatable {
    public var totals: [String: Double]
    /// metric → "bpf" | "perf" | "proc" | "preload" | "uprobe"
    public var methods: [String: String]
    /// Wall-clock length of the window in nanoseconds.
    public var durationNanoseconds: UInt64
    /// Syscall latency histograms by syscall name (latency probe only): bucket i counts calls that
    /// took [2^i, 2^(i+1)) ns; bucket 0 also holds 0–1 ns.
    public var latencyHistograms: [String: [UInt64]]
    /// Per-process breakdown of a tree (pid → `syscalls`, `allocs`, `alloc-bytes`, `cpu-ns`,
    /// `peak-RSS-B`, as far as the methods keep processes apart); empty for `mainOnly` sessions.
    public var processes: [Int32: [String: Double]] = [:]

    public init(totals: [String: Double] = [:], methods: [String: String] = [:],
                durationNanoseconds: UInt64 = 0, latencyHistograms: [String: [UInt64]] = [:]) {
        self.totals = totals
        self.methods = methods
        self.durationNanoseconds = durationNanoseconds
        self.latencyHistograms = latencyHistograms
    }

    /// Number of per-syscall figures `perOperation` reports.
    public static let topSyscallCount = 8

    /// The window's figures divided by `operations` (messages delivered or requests answered):
    /// `syscalls/op`, `syscalls.<name>/op` for the top syscalls by count, `allocs/op`, `B/op`,
    /// `frees/op`, `cpu-ns/op`, `ctxsw/op`, `page-faults/op`, plus `peak-RSS-B` and `threads` as
    /// they are. Each with the method that measured it.
    public func perOperation(_ operations: Int) -> (metrics: [String: Double], methods: [String: String]) {
        var metrics: [String: Double] = [:]
        var metricMethods: [String: String] = [:]
        let ops = Double(max(operations, 1))
        func per(_ total: String, _ name: String) {
            guard let value = totals[total] else { return }
            metrics[name] = value / ops
            metricMethods[name] = methods[total]
        }
        per("syscalls", "syscalls/op")
        let perSyscall = totals.filter { $0.key.hasPrefix("syscalls.") }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(Self.topSyscallCount)
        for (key, _) in perSyscall { per(key, "\(key)/op") }
        per("syscall-ns", "syscall-ns/op")
        per("allocs", "allocs/op")
        per("alloc-bytes", "B/op")
        per("frees", "frees/op")
        per("cpu-ns", "cpu-ns/op")
        per("ctxsw", "ctxsw/op")
        per("page-faults-minor", "page-faults/op")
        for key in ["peak-RSS-B", "threads"] {
            if let value = totals[key] {
                metrics[key] = value
                metricMethods[key] = methods[key]
            }
        }
        return (metrics, metricMethods)
    }

    mutating func record(_ metric: String, _ value: Double, _ method: ProbeMethod) {
        totals[metric] = value
        methods[metric] = method.rawValue
    }
}
