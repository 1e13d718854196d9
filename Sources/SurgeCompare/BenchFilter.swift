import Foundation
import SurgeResults

/// A `-filter` expression (benchproc filter syntax): `key:value`, `key:"quoted"`, `key:/regexp/`,
/// `key:(a OR b)`, `*`, `x y` / `x AND y`, `x OR y`, `-x`, `(…)`. Keys: `.name`, `.fullname`, `.file`,
/// `/subkey`, a file configuration key, or `.unit` (which keeps or drops single measurements,
/// matching the unit as written or tidied).
struct BenchFilter {
    indirect enum Node {
        case all
        case match(key: String, matcher: Matcher)
        case not(Node)
        case and(Node, Node)
        case or(Node, Node)
    }

    enum Matcher {
        case exact(String)
        case regexp(NSRegularExpression)
        case any([Matcher])

        func matches(_ s: String) -> Bool {
            switch self {
            case .exact(let v): return v == s
            case .regexp(let re): return re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
            case .any(let ms): return ms.contains { $0.matches(s) }
            }
        }
    }

    let root: Node
    var isMatchAll: Bool { if case .all = root { return true } else { return false } }
    var usesUnit: Bool { Self.mentionsUnit(root) }

    init(_ text: String) throws(ExpressionError) {
        var parser = FilterParser(chars: Array(text))
        parser.skipSpace()
        if parser.atEnd {
            root = .all
            return
        }
        root = try parser.parseOr()
        parser.skipSpace()
        if !parser.atEnd { throw ExpressionError(flag: "-filter", message: "unexpected \(parser.chars[parser.i]) at offset \(parser.i)") }
    }

    static func mentionsUnit(_ node: Node) -> Bool {
        switch node {
        case .all: return false
        case .match(let key, _): return key == ".unit"
        case .not(let n): return mentionsUnit(n)
        case .and(let a, let b), .or(let a, let b): return mentionsUnit(a) || mentionsUnit(b)
        }
    }

    /// Whether value `valueIndex` of `record` passes (for a filter without `.unit`, any index gives
    /// the same answer).
    func matches(_ record: BenchRecord, valueIndex: Int, fullname: (String) -> String) -> Bool {
        Self.evaluate(root, record, valueIndex)
    }

    static func evaluate(_ node: Node, _ record: BenchRecord, _ valueIndex: Int) -> Bool {
        switch node {
        case .all: return true
        case .not(let n): return !evaluate(n, record, valueIndex)
        case .and(let a, let b): return evaluate(a, record, valueIndex) && evaluate(b, record, valueIndex)
        case .or(let a, let b): return evaluate(a, record, valueIndex) || evaluate(b, record, valueIndex)
        case .match(let key, let matcher):
            switch key {
            case ".unit":
                guard valueIndex < record.values.count else { return false }
                let v = record.values[valueIndex]
                return matcher.matches(v.unit) || matcher.matches(v.originalUnit)
            case ".name": return matcher.matches(BenchName.base(record.name))
            case ".fullname": return matcher.matches(record.name)
            case ".file": return matcher.matches(record.file)
            default:
                if key.hasPrefix("/") { return matcher.matches(BenchName.part(record.name, key: key)) }
                return matcher.matches(record.configValue(key) ?? "")
            }
        }
    }
}

struct FilterParser {
    let chars: [Character]
    var i = 0

    var atEnd: Bool { i >= chars.count }

    mutating func skipSpace() { while i < chars.count && chars[i].isWhitespace { i += 1 } }

    func error(_ message: String) -> ExpressionError { ExpressionError(flag: "-filter", message: message) }

    mutating func peekWord() -> String? {
        var j = i
        var out = ""
        while j < chars.count && !chars[j].isWhitespace && chars[j] != "(" && chars[j] != ")" {
            out.append(chars[j])
            j += 1
        }
        return out.isEmpty ? nil : out
    }

    mutating func parseOr() throws(ExpressionError) -> BenchFilter.Node {
        var left = try parseAnd()
        while true {
            skipSpace()
            if peekWord() == "OR" {
                i += 2
                let right = try parseAnd()
                left = .or(left, right)
            } else {
                return left
            }
        }
    }

    mutating func parseAnd() throws(ExpressionError) -> BenchFilter.Node {
        var left = try parseUnary()
        while true {
            skipSpace()
            if atEnd || chars[i] == ")" || peekWord() == "OR" { return left }
            if peekWord() == "AND" { i += 3 }
            let right = try parseUnary()
            left = .and(left, right)
        }
    }

    mutating func parseUnary() throws(ExpressionError) -> BenchFilter.Node {
        skipSpace()
        guard !atEnd else { throw error("missing expression at end of filter") }
        if chars[i] == "-" {
            i += 1
            return .not(try parseUnary())
        }
        if chars[i] == "(" {
            i += 1
            let inner = try parseOr()
            skipSpace()
            guard !atEnd, chars[i] == ")" else { throw error("missing )") }
            i += 1
            return inner
        }
        if chars[i] == "*" {
            i += 1
            return .all
        }
        let key = try parseWord(stopAtColon: true)
        guard !key.isEmpty else { throw error("expected key at offset \(i)") }
        guard !atEnd, chars[i] == ":" else { throw error("expected key:value at offset \(i)") }
        i += 1
        return .match(key: key, matcher: try parseValue())
    }

    mutating func parseValue() throws(ExpressionError) -> BenchFilter.Matcher {
        guard !atEnd else { throw error("missing value after ':'") }
        if chars[i] == "(" {
            i += 1
            var options: [BenchFilter.Matcher] = []
            while true {
                skipSpace()
                guard !atEnd else { throw error("missing )") }
                if chars[i] == ")" { i += 1; break }
                if peekWord() == "OR" { i += 2; continue }
                options.append(try parseValue())
            }
            return .any(options)
        }
        if chars[i] == "/" {
            i += 1
            var pattern = ""
            while i < chars.count && chars[i] != "/" {
                if chars[i] == "\\" && i + 1 < chars.count && chars[i + 1] == "/" { i += 1 }
                pattern.append(chars[i])
                i += 1
            }
            guard !atEnd else { throw error("missing close \"/\"") }
            i += 1
            do {
                return .regexp(try NSRegularExpression(pattern: pattern))
            } catch {
                throw self.error("bad regexp /\(pattern)/")
            }
        }
        return .exact(try parseWord(stopAtColon: false))
    }

    mutating func parseWord(stopAtColon: Bool) throws(ExpressionError) -> String {
        if !atEnd && chars[i] == "\"" {
            i += 1
            var out = ""
            while i < chars.count && chars[i] != "\"" {
                if chars[i] == "\\" && i + 1 < chars.count {
                    i += 1
                    switch chars[i] {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    default: out.append(chars[i])
                    }
                } else {
                    out.append(chars[i])
                }
                i += 1
            }
            guard !atEnd else { throw error("missing end quote") }
            i += 1
            return out
        }
        var out = ""
        while i < chars.count && !chars[i].isWhitespace && chars[i] != "(" && chars[i] != ")" && !(stopAtColon && chars[i] == ":") {
            out.append(chars[i])
            i += 1
        }
        return out
    }
}
