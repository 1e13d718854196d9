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

/// The run report's number formats, one per class of metric, so every figure of a kind reads alike:
///
/// - rates (`msgs/s`, `req/s`): three significant digits with an SI prefix per value (`268k`, `1.20M`);
/// - durations (`…-ns`, `ns/op`): one unit per metric for the whole page, the unit of its smallest
///   value (every p99 in µs, or every p99 in ms), shown in the column head;
/// - bytes (`…-B`, `B/op`, `B/s`): B, KiB, MiB, GiB, one unit per metric for the page, like durations;
/// - plain counts and ratios per op (`allocs/op`, `threads`, `ctxsw/op`): three significant digits and
///   no prefix; whole numbers without decimals (`6`), thousands grouped (`12,345`), and values under
///   0.001 in scientific notation (`1.62e-4`), never `162µ`.
public enum NumberClass: Sendable, Equatable {
    case rate, duration, bytes, count

    public init(unit: String) {
        if MetricFormat.isDuration(unit) {
            self = .duration
        } else if unit == "B/s" || unit == "B/op" || unit.hasSuffix("-B") || unit.hasSuffix("-B/op") {
            self = .bytes
        } else if unit.hasSuffix("/s") {
            self = .rate
        } else {
            self = .count
        }
    }
}

/// How one metric prints on a report page: its class, and for durations and bytes the unit shared
/// by every value of the metric on the page.
public struct ColumnScale: Sendable {
    /// The metric as Surge names it (`p99-ns`).
    public var metric: String
    public var numberClass: NumberClass
    /// Divisor of a value in the metric's base unit (ns, B) and the unit it gives (`µs`, `MiB`); 1 and
    /// empty for rates and counts.
    public var factor: Double
    public var unitSuffix: String

    /// A scale for `values` of `metric` (the medians every table of the page shows).
    public init(metric: String, values: [Double]) {
        self.metric = metric
        numberClass = NumberClass(unit: metric)
        // The unit of the smallest value, as benchstat scales a row: no figure reads `0.00140 s`; a
        // larger one reads `7050 ms`, which still compares at a glance.
        let smallest = values.filter { $0.isFinite && $0 != 0 }.map(abs).min() ?? 0
        let steps: [(Double, String)]
        switch numberClass {
        case .duration: steps = [(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1, "ns")]
        case .bytes: steps = [(1_073_741_824, "GiB"), (1_048_576, "MiB"), (1024, "KiB"), (1, "B")]
        case .rate, .count: steps = [(1, "")]
        }
        let step = steps.first { smallest >= $0.0 } ?? steps[steps.count - 1]
        factor = step.0
        unitSuffix = step.1
        if numberClass == .bytes && metric.hasSuffix("/s") { unitSuffix += "/s" }
        if numberClass == .bytes && metric.hasSuffix("/op") { unitSuffix += "/op" }
    }

    /// The unit a column head shows under the metric's name (`µs`, `MiB`); empty for rates and counts.
    public var headUnit: String {
        numberClass == .duration || numberClass == .bytes ? unitSuffix : ""
    }

    /// The number alone, in the page's unit for the metric (`523`, `268k`, `0.00162`).
    public func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "—" : (value > 0 ? "∞" : "-∞") }
        switch numberClass {
        case .rate: return ColumnScale.prefixed(value)
        case .count: return ColumnScale.plain(value, group: true, wholeAsInteger: true)
        case .duration, .bytes: return ColumnScale.plain(value / factor, group: false)
        }
    }

    /// The number with its unit, for prose: `523 µs`, `268k msgs/s`, `2 allocs/op`.
    public func text(_ value: Double) -> String {
        switch numberClass {
        case .duration, .bytes: return number(value) + " " + unitSuffix
        case .rate, .count: return number(value) + " " + metric
        }
    }

    /// Three significant digits, no prefix: `2.50`, `0.00162`, `1.62e-4`; with `group`, `12,345`; with
    /// `wholeAsInteger`, a whole number without decimals (`6` threads, not `6.00`).
    static func plain(_ v: Double, group: Bool, wholeAsInteger: Bool = false) -> String {
        let a = abs(v)
        if a == 0 { return "0" }
        if a < 0.001 {
            let exponent = Int((log10(a)).rounded(.down))
            var mantissa = v / pow(10, Double(exponent))
            var e = exponent
            if abs(mantissa) >= 9.995 {
                mantissa /= 10
                e += 1
            }
            return GoFloatFormat.fixed(mantissa, 2) + "e\(e)"
        }
        if a >= 100 {
            let rounded = v.rounded()
            let digits = GoFloatFormat.fixed(abs(rounded), 0)
            let sign = rounded < 0 ? "-" : ""
            guard group, digits.count > 4 else { return sign + digits }
            var out = ""
            for (i, ch) in digits.enumerated() {
                if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
                out.append(ch)
            }
            return sign + out
        }
        if wholeAsInteger && v == v.rounded() { return GoFloatFormat.fixed(v, 0) }
        var decimals = max(0, 2 - Int(log10(a).rounded(.down)))
        // 0.9996 rounds up to a fourth digit (`1.000`): one decimal fewer keeps three (`1.00`).
        if decimals > 0 && (a * pow(10, Double(decimals))).rounded() >= 1000 { decimals -= 1 }
        return GoFloatFormat.fixed(v, decimals)
    }

    /// Three significant digits with an SI prefix: `999`, `268k`, `1.00M`.
    static func prefixed(_ v: Double) -> String {
        let a = abs(v)
        for (f, p) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] where a >= f * 0.9995 {
            return plain(v / f, group: false) + p
        }
        return plain(v, group: false)
    }
}

extension ColumnScale {
    /// The interval of a summary beside its median: `± 4%`, or the interval's ends where a percentage
    /// says nothing (`(0 to 2.00e-4)` around a median of 0, an exact count's `range 2–3`).
    /// Nil when there is no interval (too few repetitions): the table says so once, in a footnote,
    /// instead of `± ?` or `± ∞`.
    public func interval(_ s: Summary) -> String? {
        if s.kind == .exact {
            return s.lo == s.hi ? "" : "range \(number(s.lo))–\(number(s.hi))"
        }
        if s.lo.isInfinite || s.hi.isInfinite || s.lo.isNaN || s.hi.isNaN { return nil }
        if s.center == 0 && s.lo == 0 && s.hi == 0 { return "± 0%" }
        // An end at or across zero: a percentage of the median says nothing (benchstat prints `?`).
        if s.center.sign != s.lo.sign || s.center.sign != s.hi.sign || s.lo == 0 || s.center == 0 {
            return "(\(number(s.lo)) to \(number(s.hi)))"
        }
        return "± " + s.rangeText
    }

    /// The interval's half-width as a fraction of the median (0.92 for ±92%); nil without one.
    public static func relativeWidth(_ s: Summary) -> Double? {
        guard s.kind == .median, s.lo.isFinite, s.hi.isFinite, s.center != 0, s.lo != 0,
            s.center.sign == s.lo.sign, s.center.sign == s.hi.sign
        else { return nil }
        return max(s.hi / s.center - 1, 1 - s.lo / s.center)
    }
}
