import Foundation
import SurgeResults

/// A per-metric threshold: how large a significant change must be before it counts.
public struct MetricThreshold: Sendable, Equatable {
    /// Metric as the user wrote it (`msgs/s`, `ns/op`, `sec/op`; `*` for every metric not named otherwise).
    public var unit: String
    /// Fraction: 0.03 for `3%`.
    public var fraction: Double

    public init(unit: String, fraction: Double) {
        self.unit = unit
        self.fraction = fraction
    }

    /// Parses `msgs/s=3%`, `allocs/op=0`, `p99-ns=0.5%`, `*=2%`.
    public static func parse(_ text: String) throws(CompareInputError) -> MetricThreshold {
        guard let eq = text.lastIndex(of: "="), eq != text.startIndex else {
            throw CompareInputError("--threshold '\(text)': expected METRIC=PERCENT, e.g. 'msgs/s=3%' or 'allocs/op=0'")
        }
        let unit = String(text[..<eq])
        let fraction = try parseAmount(String(text[text.index(after: eq)...]), context: "--threshold '\(text)'")
        return MetricThreshold(unit: unit, fraction: fraction)
    }

    /// `3%` → 0.03; `0` → 0. A bare number other than 0 is refused (is `3` three percent or 300%?).
    public static func parseAmount(_ text: String, context: String) throws(CompareInputError) -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%"), let v = Double(t.dropLast()), v >= 0, v.isFinite { return v / 100 }
        if let v = Double(t), v == 0 { return 0 }
        throw CompareInputError("\(context): threshold '\(text)' is not a percentage like '3%' (or 0)")
    }

    /// Whether this threshold names `metric` (by its result-file or its tidied name).
    func names(_ metric: Metric) -> Bool {
        unit == metric.name || Metric.canonicalName(unit) == metric.name
    }
}
