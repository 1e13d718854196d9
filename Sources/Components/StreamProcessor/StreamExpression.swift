/// An expression of the mapping language, parsed once: literals, field access (`payload.customer.tier`,
/// a subject variable `region`, `subject`), arithmetic `+ - * / %`, comparison `== != < <= > >=`,
/// logic `&& || !`, string concatenation (`+` with a string on either side) and parentheses.
package indirect enum StreamExpression: Sendable, Equatable {
    case literal(StreamValue)
    /// `payload.a.b` (first element `payload`), `subject`, or a subject variable's name.
    case path([String])
    case unary(Character, StreamExpression)
    case binary(String, StreamExpression, StreamExpression)

    /// True when it reads no field: its value is the same for every message (`static-cache` computes it once).
    package var isStatic: Bool {
        switch self {
        case .literal: return true
        case .path: return false
        case .unary(_, let e): return e.isStatic
        case .binary(_, let a, let b): return a.isStatic && b.isStatic
        }
    }
}

/// An expression that does not parse: the column (1-based) and what was expected there.
package struct StreamExpressionError: Error, CustomStringConvertible, Sendable, Equatable {
    package var text: String
    package var column: Int
    package var message: String
    package var description: String { "expression '\(text)' column \(column): \(message)" }
}

extension StreamExpression {
    /// Parses `text` as one expression.
    package static func parse(_ text: String) throws(StreamExpressionError) -> StreamExpression {
        var p = StreamExpressionParser(text: text)
        let e = try p.or()
        p.skipSpace()
        if p.i < p.chars.count { throw p.fail("unexpected '\(p.chars[p.i])'") }
        return e
    }
}

/// Recursive descent over the grammar, lowest precedence first: `||`, `&&`, comparison, `+ -`, `* / %`, unary.
struct StreamExpressionParser {
    let text: String
    let chars: [Character]
    var i = 0

    init(text: String) {
        self.text = text
        chars = Array(text)
    }

    func fail(_ message: String) -> StreamExpressionError {
        StreamExpressionError(text: text, column: i + 1, message: message)
    }

    mutating func skipSpace() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }

    mutating func take(_ op: String) -> Bool {
        skipSpace()
        let o = Array(op)
        guard i + o.count <= chars.count, Array(chars[i..<i + o.count]) == o else { return false }
        // `<` is not the start of `<=`, `!` not of `!=`, `=` alone is not an operator.
        if o.count == 1, i + 1 < chars.count, chars[i + 1] == "=", "<>!=".contains(o[0]) { return false }
        i += o.count
        return true
    }

    mutating func or() throws(StreamExpressionError) -> StreamExpression {
        var e = try and()
        while take("||") { e = .binary("||", e, try and()) }
        return e
    }

    mutating func and() throws(StreamExpressionError) -> StreamExpression {
        var e = try comparison()
        while take("&&") { e = .binary("&&", e, try comparison()) }
        return e
    }

    mutating func comparison() throws(StreamExpressionError) -> StreamExpression {
        let e = try additive()
        for op in ["==", "!=", "<=", ">=", "<", ">"] where take(op) {
            return .binary(op, e, try additive())
        }
        return e
    }

    mutating func additive() throws(StreamExpressionError) -> StreamExpression {
        var e = try multiplicative()
        while true {
            if take("+") { e = .binary("+", e, try multiplicative()) }
            else if take("-") { e = .binary("-", e, try multiplicative()) }
            else { return e }
        }
    }

    mutating func multiplicative() throws(StreamExpressionError) -> StreamExpression {
        var e = try unary()
        while true {
            if take("*") { e = .binary("*", e, try unary()) }
            else if take("/") { e = .binary("/", e, try unary()) }
            else if take("%") { e = .binary("%", e, try unary()) }
            else { return e }
        }
    }

    mutating func unary() throws(StreamExpressionError) -> StreamExpression {
        if take("-") { return .unary("-", try unary()) }
        if take("!") { return .unary("!", try unary()) }
        return try primary()
    }

    mutating func primary() throws(StreamExpressionError) -> StreamExpression {
        skipSpace()
        guard i < chars.count else { throw fail("expected a value, found the end") }
        let c = chars[i]
        if c == "(" {
            i += 1
            let e = try or()
            guard take(")") else { throw fail("expected ')'") }
            return e
        }
        if c == "\"" || c == "'" { return .literal(.string(try string(quote: c))) }
        if c.isNumber { return .literal(.number(try number())) }
        if c.isLetter || c == "_" {
            var parts = [identifier()]
            while i < chars.count, chars[i] == "." {
                i += 1
                guard i < chars.count, chars[i].isLetter || chars[i] == "_" || chars[i].isNumber else {
                    throw fail("expected a field name after '.'")
                }
                parts.append(identifier())
            }
            if parts.count == 1 {
                switch parts[0] {
                case "true": return .literal(.bool(true))
                case "false": return .literal(.bool(false))
                case "null": return .literal(.null)
                default: break
                }
            }
            return .path(parts)
        }
        throw fail("expected a value, found '\(c)'")
    }

    mutating func identifier() -> String {
        let start = i
        while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
        return String(chars[start..<i])
    }

    mutating func number() throws(StreamExpressionError) -> Double {
        let start = i
        while i < chars.count, chars[i].isNumber || chars[i] == "." { i += 1 }
        guard let d = Double(String(chars[start..<i])) else {
            i = start
            throw fail("malformed number")
        }
        return d
    }

    mutating func string(quote: Character) throws(StreamExpressionError) -> String {
        let start = i
        i += 1
        var out = ""
        while i < chars.count {
            let c = chars[i]
            i += 1
            if c == quote { return out }
            if c == "\\", i < chars.count {
                out.append(chars[i] == "n" ? "\n" : chars[i])
                i += 1
            } else {
                out.append(c)
            }
        }
        i = start
        throw fail("unterminated string")
    }
}
