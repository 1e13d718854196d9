import Foundation

/// An output subject template: literal text with `{…}` holes filled per message from a subject
/// variable (`{region}`), a subject token by position (`{2}`, 1-based), `{subject}` or a payload
/// field (`{payload.customer.tier}`). Each filled hole must give one subject token (no `.`, space,
/// `*` or `>`, not empty).
package struct StreamTemplate: Sendable, Equatable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case field([String])
        case token(Int)
    }

    package let text: String
    let segments: [Segment]

    package init(_ text: String) throws(StreamMappingError) {
        self.text = text
        segments = try Self.segments(text)
    }

    /// True when it has no hole: the subject is the same for every message.
    package var isStatic: Bool { segments.allSatisfy { if case .literal = $0 { return true } else { return false } } }

    static func segments(_ text: String) throws(StreamMappingError) -> [Segment] {
        var out: [Segment] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            if open > rest.startIndex { out.append(.literal(String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw StreamMappingError("template '\(text)': '{' without '}'")
            }
            let name = rest[rest.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if let n = Int(name) {
                guard n >= 1 else { throw StreamMappingError("template '\(text)': token positions start at {1}") }
                out.append(.token(n - 1))
            } else {
                let path = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard !name.isEmpty, path.allSatisfy({ !$0.isEmpty }) else {
                    throw StreamMappingError("template '\(text)': '{\(name)}' is not a field name")
                }
                out.append(.field(path))
            }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { out.append(.literal(String(rest))) }
        return out
    }

    /// The subject for one message. `precompiled: false` scans the template text again first.
    package func render(_ context: StreamMessageContext, precompiled: Bool) throws(StreamEvalError) -> String {
        let parts: [Segment]
        if precompiled {
            parts = segments
        } else {
            do throws(StreamMappingError) {
                parts = try Self.segments(text)
            } catch {
                throw StreamEvalError(error.message)
            }
        }
        var out = ""
        for segment in parts {
            switch segment {
            case .literal(let s): out += s
            case .token(let i):
                guard i < context.tokens.count else {
                    throw StreamEvalError("template {\(i + 1)}: the subject \(context.subject) has \(context.tokens.count) tokens")
                }
                out += context.tokens[i]
            case .field(let path):
                let value = try context.field(path).text
                guard !value.isEmpty, !value.contains(where: { $0 == "." || $0 == " " || $0 == "*" || $0 == ">" }) else {
                    throw StreamEvalError("template {\(path.joined(separator: "."))} gave '\(value)', not a subject token")
                }
                out += value
            }
        }
        return out
    }
}

/// A mapping that cannot be used, found when the processor starts (never per message).
package struct StreamMappingError: Error, CustomStringConvertible, Sendable, Equatable {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
