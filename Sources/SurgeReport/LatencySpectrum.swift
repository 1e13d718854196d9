import Foundation
import SurgeResults

/// A latency distribution as HdrHistogram plots it: latency against percentile on a "nines" axis
/// (x = −log10(1 − p): 1 is the 90th percentile, 2 the 99th, 3 the 99.9th), from the encoded
/// histograms of a cell's repetitions merged into one.
public struct LatencySpectrum: Sendable {
    /// Bucket value (ns, lowest equivalent value of the bucket) → count, ascending by value.
    public var buckets: [(value: UInt64, count: UInt64)]
    public var total: UInt64

    /// Merges decodable histograms; nil when none decodes or all are empty.
    public init?(histograms: [String]) {
        var merged: [UInt64: UInt64] = [:]
        for h in histograms {
            guard let decoded = HistogramCodec.decode(h) else { continue }
            for b in decoded.counts { merged[b.value, default: 0] += b.count }
        }
        let total = merged.values.reduce(0, +)
        guard total > 0 else { return nil }
        self.total = total
        buckets = merged.sorted { $0.key < $1.key }.map { (value: $0.key, count: $0.value) }
    }

    /// The value at percentile `p` (0...1): the smallest bucket whose cumulative count reaches p·total.
    public func value(atPercentile p: Double) -> UInt64 {
        let target = max(1, UInt64((p * Double(total)).rounded(.up)))
        var cumulative: UInt64 = 0
        for b in buckets {
            cumulative += b.count
            if cumulative >= target { return b.value }
        }
        return buckets.last?.value ?? 0
    }

    /// The deepest percentile the data supports, in nines: log10(total) (one in `total` values).
    public var maxNines: Double { log10(Double(total)) }

    /// Points (nines, latency ns) from the median to the deepest supported percentile, every 0.05 nines.
    public func curve(step: Double = 0.05) -> [(nines: Double, value: Double)] {
        var out: [(Double, Double)] = []
        var x = log10(2.0)
        let limit = min(maxNines, 6)
        while x < limit {
            out.append((x, Double(value(atPercentile: 1 - pow(10, -x)))))
            x += step
        }
        out.append((limit, Double(buckets.last?.value ?? 0)))
        return out
    }
}
