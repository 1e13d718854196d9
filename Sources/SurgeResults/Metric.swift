/// Which way is better for a metric.
public enum MetricDirection: String, Codable, Sendable {
    case higherIsBetter = "higher"
    case lowerIsBetter = "lower"
}

/// What a metric is, so every module treats it alike: how it is named and which way is better, how
/// its values are summarised and compared (`MetricClass`), and whether it only restates another
/// metric of the same cell (`derivedFrom`).
///
/// Names follow Go's benchmark units as result files write them (`msgs/s`, `ns/op`, `p99-ns`,
/// `syscalls.write/op`, `node1.msgs/s`); the tidied names benchstat shows (`sec/op`, `p99-sec`,
/// `cpu-sec/op`) resolve to the same metric.
public struct Metric: Sendable, Hashable {
    /// The name as result files write it (`ns/op`, even when looked up as `sec/op`).
    public var name: String
    /// The measured quantity's unit: `msgs/s`, `ns`, `B`, `count`, `1` for ratios.
    public var unit: String
    public var direction: MetricDirection
    public var metricClass: MetricClass
    /// The metric of the same cell this one restates (`B/s`, `ns/op` and `sub-msgs/s` restate `msgs/s`);
    /// nil for a metric measured on its own. A derived metric is shown but never counted as a
    /// regression of its own while its source is gated.
    public var derivedFrom: String?

    public init(
        name: String, unit: String, direction: MetricDirection, metricClass: MetricClass, derivedFrom: String? = nil
    ) {
        self.name = name
        self.unit = unit
        self.direction = direction
        self.metricClass = metricClass
        self.derivedFrom = derivedFrom
    }

    /// The metric called `name` (a result-file or a tidied benchstat name). `siblings` are the other
    /// metrics measured in the same cell: `derivedFrom` is set only when the source is among them
    /// (a Go benchmark's `sec/op` restates nothing; a pub/sub cell's `ns/op` restates its `msgs/s`).
    public static func named(_ name: String, siblings: Set<String> = []) -> Metric {
        let name = canonicalName(name)
        if let node = nodePrefix(name) {
            var metric = named(String(name.dropFirst(node.count)), siblings: [])
            metric.name = name
            // Per-node figures break the summed figure down; the sum is what is judged.
            metric.derivedFrom = String(name.dropFirst(node.count))
            return metric
        }
        let throughput = ["msgs/s", "req/s"].first { siblings.contains($0) }
        switch name {
        case "msgs/s", "req/s":
            return Metric(name: name, unit: name, direction: .higherIsBetter, metricClass: .statistical)
        case "pub-msgs/s", "sub-msgs/s":
            return Metric(
                name: name, unit: "msgs/s", direction: .higherIsBetter, metricClass: .statistical,
                derivedFrom: siblings.contains("msgs/s") ? "msgs/s" : nil)
        case "B/s", "MB/s":
            return Metric(
                name: name, unit: "B/s", direction: .higherIsBetter, metricClass: .statistical, derivedFrom: throughput)
        case "ns/op":
            return Metric(
                name: name, unit: "ns", direction: .lowerIsBetter, metricClass: .statistical, derivedFrom: throughput)
        case "peak-RSS-B":
            return Metric(name: name, unit: "B", direction: .lowerIsBetter, metricClass: .gauge)
        case "threads":
            return Metric(name: name, unit: "count", direction: .lowerIsBetter, metricClass: .gauge)
        default:
            break
        }
        let higher = name.hasSuffix("/s") || name.hasSuffix("ratio") || name == "ops"
        let unit: String
        if name.hasSuffix("-ns") || name.hasSuffix("-ns/op") {
            unit = "ns"
        } else if name.hasSuffix("-B") || name == "B/op" {
            unit = "B"
        } else if name.hasSuffix("ratio") {
            unit = "1"
        } else if name.hasSuffix("/s") {
            unit = name
        } else {
            unit = "count"
        }
        return Metric(
            name: name, unit: unit, direction: higher ? .higherIsBetter : .lowerIsBetter, metricClass: .statistical)
    }

    /// `sec/op` → `ns/op`, `p99-sec` → `p99-ns`, `cpu-sec/op` → `cpu-ns/op`: benchstat's tidied
    /// names back to the names Surge writes. Other names are returned as they are.
    public static func canonicalName(_ name: String) -> String {
        guard name.contains("sec") else { return name }
        if name == "sec/op" { return "ns/op" }
        var out = name
        if out.hasSuffix("-sec") { out = String(out.dropLast(3)) + "ns" }
        if let r = out.range(of: "-sec/") { out.replaceSubrange(r, with: "-ns/") }
        return out
    }

    /// `node12.` for `node12.msgs/s`, nil for metrics that are not per node.
    static func nodePrefix(_ name: String) -> String? {
        guard name.hasPrefix("node"), let dot = name.firstIndex(of: ".") else { return nil }
        let digits = name[name.index(name.startIndex, offsetBy: 4)..<dot]
        guard !digits.isEmpty, digits.allSatisfy(\.isNumber) else { return nil }
        return String(name[...dot])
    }
}

/// How a metric's values are summarised, compared and gated.
public enum MetricClass: String, Codable, Sendable {
    /// Integral counts a deterministic workload repeats exactly (a micro benchmark's allocations):
    /// compared exactly, any difference counts. Only where the input declares it (benchstat's
    /// `Unit X assume=exact`, or a workload that declares the metric exact).
    case exact
    /// Throughput, latency and per-op averages over a window: median with a confidence interval and
    /// Mann-Whitney U, as benchstat does.
    case statistical
    /// A level read at the end of a window (peak RSS, threads): shown with its change, never gated
    /// unless a threshold names it.
    case gauge
}

extension MetricDirection {
    /// The direction of the metric called `unit` (see `Metric.named`).
    public init(unit: String) {
        self = Metric.named(unit).direction
    }
}
