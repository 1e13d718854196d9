import SurgeResults
import SurgeStats

/// benchstat's number scaling for text tables (benchunit `CommonScale`/`Scaler`): one prefix and
/// precision per row, chosen from the smallest non-zero |value| so every value shows at least three
/// significant digits: SI prefixes T G M k "" m µ n for decimal units, Ti Gi Mi Ki "" for binary ones.
///
/// ```swift
/// let s = ValueScaler.common([1.718e-6, 1.423e-6], unit: "sec/op")
/// s.format(1.718e-6)   // "1.718µ"
/// ```
public struct ValueScaler: Sendable {
    public var precision: Int
    public var factor: Double
    public var prefix: String

    /// A common scale for values of a (tidied) unit: `sec/op`, `B/op`, `msgs/s`.
    public static func common(_ values: [Double], unit: String) -> ValueScaler {
        common(values, BenchUnit.classOf(unit))
    }

    public func format(_ value: Double) -> String {
        GoFloatFormat.fixed(value / factor, precision) + prefix
    }

    private struct Factor {
        var factor: Double
        var prefix: String
        var t100: Double
        var t10: Double
        var t1: Double
    }

    private static let si: [Factor] = {
        var out: [Factor] = []
        var exp = 12
        for p in ["T", "G", "M", "k", "", "m", "µ", "n"] {
            out.append(Factor(factor: pow10(exp), prefix: p, t100: Double("99.995e\(exp)")!, t10: Double("9.9995e\(exp)")!, t1: Double(".99995e\(exp)")!))
            exp -= 3
        }
        return out
    }()

    private static let iec: [Factor] = {
        var out: [Factor] = []
        var exp = 40
        for p in ["Ti", "Gi", "Mi", "Ki", ""] {
            // 99.995, 9.9995 and .99995 as the hexadecimal constants benchunit uses, scaled by 2^exp.
            let t100 = Double(sign: .plus, exponent: 6 + exp, significand: Double("0x1.8ffae147ae148p0")!)
            let t10 = Double(sign: .plus, exponent: 3 + exp, significand: Double("0x1.3ffbe76c8b439p0")!)
            let t1 = Double(sign: .plus, exponent: -1 + exp, significand: Double("0x1.fff972474538fp0")!)
            out.append(Factor(factor: Double(sign: .plus, exponent: exp, significand: 1), prefix: p, t100: t100, t10: t10, t1: t1))
            exp -= 10
        }
        return out
    }()

    private static let sigfigs: [Double] = (1...8).map { Double("9.9995e-\($0)")! }

    private static func pow10(_ e: Int) -> Double { Double("1e\(e)")! }

    static func common(_ values: [Double], _ cls: BenchUnit.Class) -> ValueScaler {
        var smallest = 0.0
        for v in values {
            let a = abs(v)
            if a != 0 && (smallest == 0 || a < smallest) { smallest = a }
        }
        if smallest == 0 { return ValueScaler(precision: 3, factor: 1, prefix: "") }
        let factors = cls == .decimal ? si : iec
        for f in factors {
            if smallest >= f.t100 { return ValueScaler(precision: 1, factor: f.factor, prefix: f.prefix) }
            if smallest >= f.t10 { return ValueScaler(precision: 2, factor: f.factor, prefix: f.prefix) }
            if smallest >= f.t1 { return ValueScaler(precision: 3, factor: f.factor, prefix: f.prefix) }
        }
        let last = factors[factors.count - 1]
        let v = smallest / last.factor
        for (i, threshold) in sigfigs.enumerated() where v >= threshold || i == sigfigs.count - 1 {
            return ValueScaler(precision: i + 3, factor: last.factor, prefix: last.prefix)
        }
        return ValueScaler(precision: 3, factor: last.factor, prefix: last.prefix)
    }

    static func scale(_ value: Double, _ cls: BenchUnit.Class) -> String {
        common([value], cls).format(value)
    }
}
