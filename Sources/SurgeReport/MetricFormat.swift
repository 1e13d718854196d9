import Foundation
import SurgeResults
import SurgeStats

/// How reports name, order and print metric values: throughput first, then latencies, then costs;
/// latencies (`…-ns`, `ns/op`) as durations (`523µs`), everything else with SI/IEC prefixes as
/// benchstat scales them, one scale per column so a column reads at a glance.
public enum MetricFormat {
    /// Metrics that are a rate of work done (the "throughput" of a cell).
    public static let throughputUnits = ["msgs/s", "req/s", "ops/s", "B/s"]
    static let latencyOrder = ["ns/op", "p50-ns", "p90-ns", "p99-ns", "p99.9-ns", "max-ns"]

    public static func isDuration(_ unit: String) -> Bool {
        unit.hasSuffix("-ns") || unit == "ns/op" || unit.hasSuffix("-ns/op")
    }

    /// Report order: throughput, latency, then the rest by name (`syscalls.*` after their total).
    public static func ordered(_ units: some Sequence<String>) -> [String] {
        func rank(_ u: String) -> (Int, Int, String) {
            if let i = throughputUnits.firstIndex(of: u) { return (0, i, u) }
            if u.hasSuffix("/s") { return (1, 0, u) }
            if let i = latencyOrder.firstIndex(of: u) { return (2, i, u) }
            if isDuration(u) { return (3, 0, u) }
            if u.hasPrefix("syscalls.") { return (5, 0, u) }
            return (4, 0, u)
        }
        return Set(units).sorted { rank($0) < rank($1) }
    }

    /// A scale fitted to `values` (the smallest non-zero one keeps three significant digits).
    public static func scale(for values: [Double], unit: String) -> Scale {
        if isDuration(unit) {
            let smallest = values.filter { $0 != 0 && $0.isFinite }.map(abs).min() ?? 0
            let steps: [(Double, String)] = [(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1, "ns")]
            let step = steps.first { smallest >= $0.0 } ?? steps[steps.count - 1]
            let scaled = smallest / step.0
            let precision = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2
            return Scale(kind: .duration, factor: step.0, suffix: step.1, precision: precision)
        }
        let scaler = ValueScaler.common(values, BenchUnit.classOf(unit))
        return Scale(kind: .prefixed, factor: scaler.factor, suffix: scaler.prefix, precision: scaler.precision)
    }

    /// Formats one value in the scale that fits it alone.
    public static func format(_ value: Double, unit: String) -> String {
        scale(for: [value], unit: unit).format(value)
    }

    /// A unit for axis labels: durations in the scale's unit, other metrics as named.
    public static func axisUnit(_ unit: String, scale: Scale) -> String {
        isDuration(unit) ? scale.suffix : unit
    }

    public struct Scale: Sendable {
        public enum Kind: Sendable { case duration, prefixed }
        public var kind: Kind
        public var factor: Double
        public var suffix: String
        public var precision: Int

        public func format(_ value: Double) -> String {
            guard value.isFinite else { return value.isNaN ? "—" : (value > 0 ? "∞" : "-∞") }
            return GoFloatFormat.fixed(value / factor, precision) + suffix
        }
    }
}
