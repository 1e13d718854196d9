import Foundation

/// Shortens demangled Swift names for flame graph frames, as `swift demangle --simplified` does
/// in spirit: no parameter lists, return types, generic arguments or attributes, so
/// `closure #1 (Swift.Int) -> () in Broker.Session.handle(frame: NATSWire.Frame) throws -> ()`
/// becomes `closure #1 in Broker.Session.handle`, and a specialization says so once.
package enum SwiftNameSimplifier {
    package static func simplify(_ name: String) -> String {
        var text = name
        for (long, short) in [("generic specialization ", "specialized "), ("function signature specialization ", "specialized "),
                              ("partial apply forwarder for ", "partial apply "), ("reabstraction thunk helper ", "thunk "),
                              ("merged ", ""), ("outlined copy of ", "outlined copy "), ("protocol witness for ", "witness ")] {
            text = text.replacingOccurrences(of: long, with: short)
        }
        text = privateNames(text)
        text = removeGroups(text, open: "<", close: ">")
        text = removeGroups(text, open: "(", close: ")")
        text = text.replacingOccurrences(of: "specialized  of ", with: "specialized ")
        text = text.replacingOccurrences(of: "specialized of ", with: "specialized ")
        var words: [Substring] = []
        var skipType = false
        for word in text.split(separator: " ") {
            if skipType {
                skipType = false
                if word != "in" { continue }
            }
            if word == "->" { skipType = true; continue }
            if word.hasPrefix("@") || ["throws", "rethrows", "async", "__owned", "inout"].contains(word) { continue }
            words.append(word)
        }
        let result = words.joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: " :"))
        return result.isEmpty ? name : result
    }

    /// `(name in _0123ABCD)`, a private declaration's discriminated name, as `name`.
    static func privateNames(_ text: String) -> String {
        var out = text
        while let marker = out.range(of: " in _") {
            guard let open = out[..<marker.lowerBound].lastIndex(of: "("),
                  let close = out[marker.upperBound...].firstIndex(of: ")") else { break }
            let name = out[out.index(after: open)..<marker.lowerBound]
            out.replaceSubrange(open...close, with: name)
        }
        return out
    }

    /// A demangled C++ name without template arguments and parameters
    /// (`ns::Box<int>::destroy(void*)` → `ns::Box::destroy`); the name itself when that leaves nothing.
    package static func simplifyCPlusPlus(_ name: String) -> String {
        guard name.contains("("), !name.contains("operator") else { return name }
        let result = removeGroups(removeGroups(name, open: "<", close: ">"), open: "(", close: ")")
            .replacingOccurrences(of: " const", with: "")
        return result.isEmpty ? name : result
    }

    /// `text` without its `open`…`close` groups (nested ones included). A `->` is not a group.
    static func removeGroups(_ text: String, open: Character, close: Character) -> String {
        var out = ""
        var depth = 0
        var previous: Character = " "
        for c in text {
            if c == open {
                depth += 1
            } else if c == close && !(c == ">" && previous == "-") && depth > 0 {
                depth -= 1
            } else if depth == 0 {
                out.append(c)
            }
            previous = c
        }
        return out
    }
}
