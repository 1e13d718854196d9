/// A stack profile taken of a cell in its profile pass: the files Surge wrote (paths relative to
/// the result file's directory), what they cover, and what profiling cost the target.
public struct ProfileReference: Codable, Sendable, Equatable {
    /// `cpu`, `off-cpu` or `allocations`.
    public var kind: String
    /// Raw folded stacks (samples, ns or bytes).
    public var folded: String
    /// Folded stacks per operation (`unit`).
    public var perOp: String?
    /// The flame graph of the per-op stacks.
    public var svg: String
    /// Unit of the per-op file: `cpu-ns/op`, `off-cpu-ns/op`, `B/op`.
    public var unit: String
    /// The per-op total of the profile (the sum over stacks).
    public var totalPerOp: Double?
    /// Share of the total whose every frame has a name.
    public var resolvedShare: Double
    /// Share of frames no symbol covers (`[unknown]`).
    public var unknownFrameShare: Double
    public var method: String
    /// Operations of the profiled repetition.
    public var operations: Int
    /// Throughput (operations per second) with this kind attached and without any, in the same
    /// pass on the same target: the medians over `costWindows` pairs of windows (profiled and
    /// unprofiled alternating, in ABBA order so a drift cancels). The cost of profiling.
    public var throughput: Double?
    public var unprofiledThroughput: Double?
    /// How many profiled/unprofiled pairs the cost was measured over (nil: one of each, old files).
    public var costWindows: Int?
    /// Each pair's profiled / unprofiled throughput, in the order measured (the spread of the cost).
    public var costRatios: [Double]?

    public init(kind: String, folded: String, perOp: String?, svg: String, unit: String, totalPerOp: Double?,
                resolvedShare: Double, unknownFrameShare: Double, method: String, operations: Int) {
        self.kind = kind
        self.folded = folded
        self.perOp = perOp
        self.svg = svg
        self.unit = unit
        self.totalPerOp = totalPerOp
        self.resolvedShare = resolvedShare
        self.unknownFrameShare = unknownFrameShare
        self.method = method
        self.operations = operations
    }

    /// Throughput lost to profiling, as a fraction of the unprofiled throughput (0.1 = 10% slower).
    public var cost: Double? {
        guard let throughput, let unprofiledThroughput, unprofiledThroughput > 0 else { return nil }
        return 1 - throughput / unprofiledThroughput
    }

    /// The cost as a sentence: `-7.9% (medians of 3 windows each; pairs -10.2% to -5.1%)`, throughput
    /// lost to profiling (negative) or gained (noise).
    public var costText: String? {
        guard let cost else { return nil }
        var text = String(format: "%+.1f%%", -cost * 100)
        if let ratios = costRatios, ratios.count > 1, let lo = ratios.min(), let hi = ratios.max() {
            text += String(format: " (medians of %d windows each; pairs %+.1f%% to %+.1f%%)", ratios.count,
                           (lo - 1) * 100, (hi - 1) * 100)
        } else {
            text += " (one profiled and one unprofiled window)"
        }
        return text
    }
}
