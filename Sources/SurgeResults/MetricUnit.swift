/// Which way is better for a metric. Units follow Go's benchmark units (`ns/op`, `msgs/s`, `B/op`).
public enum MetricDirection: String, Codable, Sendable {
    case higherIsBetter = "higher"
    case lowerIsBetter = "lower"

    /// Rates (`…/s`), ratios (`…-ratio`, `…-hit-ratio`) and `ops` are better higher; costs (`…/op`),
    /// latencies (`…-ns`), sizes (`…-B`) and everything unknown are better lower.
    public init(unit: String) {
        if unit.hasSuffix("/s") || unit.hasSuffix("ratio") || unit == "ops" {
            self = .higherIsBetter
        } else {
            self = .lowerIsBetter
        }
    }
}

/// Whether a metric is a count that is exactly reproducible (compared exactly, like benchstat's
/// `assume=exact`), as opposed to a timing that varies run to run.
public enum MetricKind {
    public static let exactUnits: Set<String> = ["allocs/op", "B/op", "syscalls/op"]

    public static func isExact(_ unit: String) -> Bool {
        exactUnits.contains(unit) || (unit.hasPrefix("syscalls.") && unit.hasSuffix("/op"))
    }
}
