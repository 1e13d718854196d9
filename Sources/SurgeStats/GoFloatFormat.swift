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

    /// `%.{precision}f`, correctly rounded like Go and C (half-even on the exact binary value).
    ///
    /// Fast paths: (1) `value·10^p` rounded to an integer when the product is clearly away from a
    /// tie; (2) rounding the shortest round-trip digits when at least one of them is dropped. (2) is
    /// exact unless those digits end exactly on the rounding boundary (a lone `5` right after the last
    /// kept place): a shorter decimal inside the value's rounding interval would have been the
    /// shortest representation, so the boundary lies outside that interval and the binary value is
    /// on the same side of it as the digits. Everything else goes to C's `printf`.
    public static func fixed(_ value: Double, _ precision: Int) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if precision >= 0 && precision <= 15, let fast = fixedFromScaledInteger(value, precision) { return fast }
        if precision >= 0 && precision <= 17, let fast = fixedFromShortest(value, precision) { return fast }
        return printfFixed(value, precision)
    }

    private static let powersOfTen: [Double] = (0...22).map { Double("1e\($0)")! }

    /// Quickest path: `value·10^p` rounded to an integer, when that product is far enough from a
    /// rounding boundary that the product's own rounding error (≤ 1 ulp) cannot matter.
    static func fixedFromScaledInteger(_ value: Double, _ precision: Int) -> String? {
        let scaled = value.magnitude * powersOfTen[precision]
        guard scaled < 4.0e15 else { return nil }
        let floor = scaled.rounded(.down)
        let fraction = scaled - floor
        let margin = scaled * 4.0e-16 + 1e-300
        guard abs(fraction - 0.5) > margin else { return nil }
        var integer = UInt64(fraction > 0.5 ? floor + 1 : floor)
        // Digits from the right, at least precision + 1 of them, the point before the last `precision`.
        let capacity = 40
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var i = capacity
            var written = 0
            repeat {
                if precision > 0 && written == precision {
                    i -= 1
                    buffer[i] = UInt8(ascii: ".")
                }
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: 48 + integer % 10)
                integer /= 10
                written += 1
            } while integer > 0 || written <= precision
            if value.sign == .minus {
                i -= 1
                buffer[i] = UInt8(ascii: "-")
            }
            return String(decoding: UnsafeMutableBufferPointer(rebasing: buffer[i..<capacity]), as: UTF8.self)
        }
    }

    static func fixedFromShortest(_ value: Double, _ precision: Int) -> String? {
        var digits: [UInt8] = []
        var point = 0
        decimalDigits(value.magnitude, &digits, &point)
        let cut = point + precision
        var kept: [UInt8]
        if cut >= digits.count {
            // Keeping every shortest digit (or more) would need the binary value's exact expansion.
            return nil
        } else if cut < 0 {
            // Below 0.1·10^-precision: rounds to zero, nowhere near the boundary.
            kept = []
            point = -precision
        } else {
            kept = Array(digits[0..<cut])
            let dropped = digits[cut]
            if dropped == 5 && cut + 1 == digits.count { return nil }
            if dropped > 5 || dropped == 5 {
                var i = kept.count - 1
                var carry = true
                while carry && i >= 0 {
                    if kept[i] == 9 {
                        kept[i] = 0
                        i -= 1
                    } else {
                        kept[i] += 1
                        carry = false
                    }
                }
                if carry {
                    kept.insert(1, at: 0)
                    point += 1
                }
            }
        }
        var out = String.UnicodeScalarView()
        if value.sign == .minus { out.append("-") }
        if point > 0 {
            for d in kept[0..<point] { out.append(Unicode.Scalar(48 + d)) }
        } else {
            out.append("0")
        }
        if precision > 0 {
            out.append(".")
            if point >= 0 {
                for d in kept[point..<(point + precision)] { out.append(Unicode.Scalar(48 + d)) }
            } else {
                for _ in 0..<(-point) { out.append("0") }
                for d in kept { out.append(Unicode.Scalar(48 + d)) }
            }
        }
        return String(out)
    }

    /// Shortest round-trip decimal digits of a finite, non-negative value: `digits` (no leading or
    /// trailing zeros; [0] for zero) with the decimal point after `pointPos` digits.
    static func decimalDigits(_ value: Double, _ digits: inout [UInt8], _ pointPos: inout Int) {
        if value == 0 {
            digits = [0]
            pointPos = 1
            return
        }
        let text = value.description
        var exponent = 0
        var mantissa = Substring(text)
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            mantissa = text[..<e]
        }
        var intLength = 0
        var seenPoint = false
        for ch in mantissa.utf8 {
            if ch == UInt8(ascii: ".") { seenPoint = true; continue }
            digits.append(ch - 48)
            if !seenPoint { intLength += 1 }
        }
        pointPos = intLength + exponent
        while digits.count > 1 && digits[0] == 0 {
            digits.removeFirst()
            pointPos -= 1
        }
        while digits.count > 1 && digits[digits.count - 1] == 0 { digits.removeLast() }
    }

    static func printfFixed(_ value: Double, _ precision: Int) -> String {
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
        // Go prints +Inf with its sign even without the + flag: no second "+" (`+Inf%`, not `++Inf%`).
        if text.hasPrefix("-") || text.hasPrefix("+") { return text }
        return "+" + text
    }
}
