/// `{name}` placeholders in scenario strings. `{{` and `}}` stand for literal braces.
public enum Placeholders {
    public struct SyntaxError: Error, CustomStringConvertible, Sendable {
        public var text: String
        public var reason: String
        public var description: String { "\(reason) in '\(text)' (write {{ or }} for a literal brace)" }
    }

    /// The placeholder names used in `text`, in order.
    public static func names(in text: String) throws(SyntaxError) -> [String] {
        var names: [String] = []
        _ = try expand(text) { names.append($0); return "" }
        return names
    }

    /// Replaces every placeholder with `value(name)`; a name `value` returns nil for is left as written.
    public static func substitute(_ text: String, _ value: (String) -> String?) throws(SyntaxError) -> String {
        try expand(text) { name in value(name) ?? "{\(name)}" }
    }

    static func expand(_ text: String, _ replace: (String) -> String) throws(SyntaxError) -> String {
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "{" {
                if next < text.endIndex, text[next] == "{" {
                    out.append("{")
                    i = text.index(after: next)
                    continue
                }
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw SyntaxError(text: text, reason: "unclosed '{'")
                }
                let name = String(text[next..<close])
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
                    throw SyntaxError(text: text, reason: "bad placeholder name '{\(name)}'")
                }
                out += replace(name)
                i = text.index(after: close)
            } else if c == "}" {
                guard next < text.endIndex, text[next] == "}" else {
                    throw SyntaxError(text: text, reason: "unmatched '}'")
                }
                out.append("}")
                i = text.index(after: next)
            } else {
                out.append(c)
                i = next
            }
        }
        return out
    }
}
