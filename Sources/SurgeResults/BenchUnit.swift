/// Go benchmark unit handling as benchstat does it (golang.org/x/perf/benchunit): tidying pre-scaled
/// units into base units (`ns/op` → `sec/op` ×1e-9, `MB/s` → `B/s` ×1e6, any numerator token `ns` →
/// `sec`, `MB` → `B`) and the decimal/binary class that picks SI or IEC prefixes for display.
public enum BenchUnit {
    public enum Class: Sendable { case decimal, binary }

    /// The tidied unit and the factor that converts a value in `unit` to it.
    public static func tidy(_ unit: String) -> (unit: String, factor: Double) {
        switch unit {
        case "ns/op": return ("sec/op", 1e-9)
        case "MB/s": return ("B/s", 1e6)
        case "B/op", "allocs/op": return (unit, 1)
        default: break
        }
        guard unit.contains("ns") || unit.contains("MB") else { return (unit, 1) }
        var factor = 1.0
        var out = ""
        for token in tokens(unit) {
            if token.isSeparator || token.inDenominator {
                out += token.text
                continue
            }
            switch token.text {
            case "ns":
                out += "sec"
                factor /= 1e9
            case "MB":
                out += "B"
                factor *= 1e6
            default:
                out += token.text
            }
        }
        return (out, factor)
    }

    /// Binary if a numerator token is `B`, `MB` or `bytes`; decimal otherwise.
    public static func classOf(_ unit: String) -> Class {
        for token in tokens(unit) where !token.isSeparator && !token.inDenominator {
            if token.text == "B" || token.text == "MB" || token.text == "bytes" { return .binary }
        }
        return .decimal
    }

    struct Token {
        var text: String
        var isSeparator: Bool
        var inDenominator: Bool
    }

    /// Splits a unit into tokens and separators (`*`, `/`, `-`, white space); `/` starts the
    /// denominator, `*` returns to the numerator.
    static func tokens(_ unit: String) -> [Token] {
        var result: [Token] = []
        var denominator = false
        var current = ""
        func flush() {
            if !current.isEmpty {
                result.append(Token(text: current, isSeparator: false, inDenominator: denominator))
                current = ""
            }
        }
        for ch in unit.unicodeScalars {
            if ch == "*" || ch == "/" || ch == "-" || ch.properties.isWhitespace {
                flush()
                if ch == "*" { denominator = false } else if ch == "/" { denominator = true }
                result.append(Token(text: String(ch), isSeparator: true, inDenominator: denominator))
            } else {
                current.unicodeScalars.append(ch)
            }
        }
        flush()
        return result
    }
}
