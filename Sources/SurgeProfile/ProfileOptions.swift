/// How a profile is taken.
public struct ProfileOptions: Sendable, Equatable {
    public var kinds: [ProfileKind]
    /// CPU stack samples per second per CPU (bcc's `profile` default 49, perf's 4000; 99 avoids
    /// lockstep with 100 Hz timers).
    public var frequency: Int = 99
    /// Off-CPU blocks shorter than this are not recorded (keeps the map small; bcc's default 1 µs).
    public var offCPUMinimumNanoseconds: UInt64 = 10_000
    /// Record 1 in N allocation calls per CPU (a power of two; 1 records every call).
    public var allocationSampleEvery: Int = 1
    /// Profile the process alone, not the processes it forks.
    public var mainOnly = false

    public init(kinds: [ProfileKind]) {
        self.kinds = kinds
    }
}

/// One kind's profile of a target: raw folded stacks and what they cover.
public struct Profile: Sendable {
    public var kind: ProfileKind
    /// Raw values per stack: samples (cpu), nanoseconds (off-cpu), bytes (allocations).
    public var stacks: FoldedStacks
    /// How it was measured: "bpf perf-event sampling at 99 Hz", "perf record (fallback: why)", ...
    public var method: String
    /// Share of frames (weighted by value, process names left out) that no symbol covers.
    public var unknownFrameShare: Double
    /// Share of the total (weighted by value) whose every frame has a name.
    public var resolvedShare: Double
    /// Stacks the stack map could not hold (bucket taken) or that had no user stack, by value share.
    public var lostStackShare: Double
    /// Allocation calls per stack, for the allocations kind.
    public var calls: FoldedStacks?

    /// Per-op figures: cpu samples become cpu-ns (1e9 / frequency each), then everything is divided by
    /// `operations`.
    public func perOperation(_ operations: Int, frequency: Int) -> FoldedStacks {
        let unitScale = kind == .cpu ? 1e9 / Double(max(frequency, 1)) : 1
        var result = stacks.scaled(by: unitScale / Double(max(operations, 1)))
        result.header = stacks.header.filter { $0.key != "unit" } + [("unit", kind.perOpUnit), ("operations", "\(operations)")]
        return result
    }
}

extension Profile {
    /// This profile and `other` (the same kind: another process, or another window of the same
    /// process) as one: stacks summed, shares weighted by each one's total.
    public func merging(_ other: Profile) -> Profile {
        var merged = self
        for (stack, value) in other.stacks.values { merged.stacks.values[stack, default: 0] += value }
        if let calls = other.calls {
            var sum = merged.calls ?? FoldedStacks(header: calls.header)
            for (stack, value) in calls.values { sum.values[stack, default: 0] += value }
            merged.calls = sum
        }
        let wa = stacks.total, wb = other.stacks.total
        func weighted(_ x: Double, _ y: Double) -> Double { wa + wb > 0 ? (x * wa + y * wb) / (wa + wb) : x }
        merged.resolvedShare = weighted(resolvedShare, other.resolvedShare)
        merged.unknownFrameShare = weighted(unknownFrameShare, other.unknownFrameShare)
        merged.lostStackShare = weighted(lostStackShare, other.lostStackShare)
        return merged
    }
}
