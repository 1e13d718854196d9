/// One snapshot of a target's stats port, as the component classed its figures: counters only
/// grow (a window's figure is their difference), gauges are a state at the moment of reading.
public struct TargetStats: Sendable, Equatable {
    public var counters: [String: Double]
    public var gauges: [String: Double]

    public init(counters: [String: Double] = [:], gauges: [String: Double] = [:]) {
        self.counters = counters
        self.gauges = gauges
    }

    /// A counter's or gauge's value.
    public subscript(_ key: String) -> Double? { counters[key] ?? gauges[key] }

    /// Adds one node's snapshot of a multi-node target: its figures under `node<i>.<key>`, and merged
    /// under `<key>`: counters and sizes summed, latency percentiles and maxima (gauges named
    /// `*_p<N>_ns`, `*_max_ns`) the largest of any node, since a sum of percentiles means nothing.
    public mutating func merge(_ node: TargetStats, node index: Int) {
        for (k, v) in node.counters {
            counters["node\(index).\(k)"] = v
            counters[k, default: 0] += v
        }
        for (k, v) in node.gauges {
            gauges["node\(index).\(k)"] = v
            if TargetCounters.isPercentile(k) {
                gauges[k] = max(gauges[k] ?? v, v)
            } else {
                gauges[k, default: 0] += v
            }
        }
    }
}

/// How a target's counters over a window are computed from the snapshots at its edges.
enum TargetCounters {
    /// A latency percentile or maximum in nanoseconds (`discovery_latency_p99_ns`, `…_max_ns`).
    static func isPercentile(_ key: String) -> Bool {
        let name = key.split(separator: ".").last.map(String.init) ?? key
        return name.hasSuffix("_ns") && (name.contains("_p") || name.hasSuffix("_max_ns"))
    }

    /// Counter deltas over the window; gauges keep their value at the window's end.
    static func delta(before: TargetStats, after: TargetStats) -> [String: Double] {
        var out = after.gauges
        for (k, v) in after.counters { out[k] = v - (before.counters[k] ?? 0) }
        return out
    }
}
