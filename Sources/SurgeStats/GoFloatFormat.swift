#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats floating-point numbers exactly as Go's `fmt`/`strconv` do, so output that claims to be
/// benchstat's matches it digit for digit.
///
/// - `shortest(_:)` is `fmt.Sprint(float64)` (`strconv.FormatFloat(v, 'g', -1, 64)`): the shortest
///   digits that round-trip, exponent form iff the decimal exponent is < -4 or >= 6 (Go decides
///   with precision 6 for the shortest form), exponent with a sign and at least two digits
///   (`1e+06`, `1.5e-05`, `999999`, `0.0001`).
/// - `fixed(_:_:)` is `%.Nf`: correctly rounded (half-even on the exact binary value), like C printf.
public enum GoFloatFormat {
    /// Go's `%v` / `fmt.Sprint` of a float64.
    public static func shortest(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        // Swift's description prints the shortest round-trip digits; re-shape them Go's way.
        var text = value.magnitude.description
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var intPart = text
        var fracPart = ""
        if let dot = text.firstIndex(of: ".") {
            intPart = String(text[..<dot])
            fracPart = String(text[text.index(after: dot)...])
        }
        var digits = Array(intPart + fracPart)
        var pointPos = intPart.count + exponent  // decimal point after this many digits
        while let first = digits.first, first == "0", digits.count > 1 {
            digits.removeFirst()
            pointPos -= 1
        }
        while let last = digits.last, last == "0", digits.count > 1 { digits.removeLast() }
        let decimalExponent = pointPos - 1
        var out = value < 0 ? "-" : ""
        if decimalExponent < -4 || decimalExponent >= 6 {
            out.append(digits[0])
            if digits.count > 1 {
                out.append(".")
                out.append(contentsOf: digits[1...])
            }
            out.append("e")
            out.append(decimalExponent < 0 ? "-" : "+")
            let magnitude = abs(decimalExponent)
            if magnitude < 10 { out.append("0") }
            out.append(String(magnitude))
        } else if pointPos <= 0 {
            out.append("0.")
            out.append(String(repeating: "0", count: -pointPos))
            out.append(contentsOf: digits)
        } else if pointPos >= digits.count {
            out.append(contentsOf: digits)
            out.append(String(repeating: "0", count: pointPos - digits.count))
        } else {
            out.append(contentsOf: digits[..<pointPos])
            out.append(".")
            out.append(contentsOf: digits[pointPos...])
        }
        return out
    }

    /// `%.{precision}f`, correctly rounded like Go and C.
    public static func fixed(_ value: Double, _ precision: Int) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = withVaList([precision, value]) { args in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, 64, "%.*f", args) }
        }
        if count >= 64 {
            var big = [CChar](repeating: 0, count: Int(count) + 1)
            _ = withVaList([precision, value]) { args in
                big.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, Int(count) + 1, "%.*f", args) }
            }
            return String(decoding: big.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `%+.2f%%`-style signed fixed formatting (`+12.34`, `-0.00`).
    public static func signedFixed(_ value: Double, _ precision: Int) -> String {
        let text = fixed(value, precision)
        if text.hasPrefix("-") { return text }
        return "+" + text
    }
}
