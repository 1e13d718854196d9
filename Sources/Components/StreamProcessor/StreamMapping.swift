import Foundation

/// One mapping: `INPUT -> OUTPUT [| set NAME = EXPR]... [| where EXPR]`.
///
/// - INPUT is a NATS subject pattern (`*`, `>`), where a token `{name}` is a `*` that binds `name`
///   (`orders.{region}.>`).
/// - OUTPUT is a `StreamTemplate` (`out.{region}.{payload.customer.tier}`).
/// - `set` adds (or replaces) a top-level field of the output payload: a static field
///   (`set source = "surge"`) or a computed one (`set total = payload.qty * payload.price`).
/// - `where` keeps only messages for which the expression is true (the others count as dropped).
///
/// The output payload is the input JSON object with the `set` fields. Several mappings are separated
/// by `;` (outside quotes) or new lines; `#` starts a comment line.
package struct StreamMapping: Sendable {
    package struct Settings: Sendable, Equatable {
        package var precompiledTemplates = true
        package var compiledExpressions = true
        package var staticCache = true
        package init() {}
    }

    /// What one message came to.
    package enum Outcome: Sendable, Equatable {
        case publish(subject: String)
        case dropped
        case failed(StreamEvalError)
    }

    package let source: String
    package let inputPattern: String
    /// The pattern with `{name}` tokens as `*`: what the processor subscribes to.
    package let subscribeSubject: String
    let variables: [String: Int]
    package let output: StreamTemplate
    let sets: [(name: String, value: StreamEvaluator)]
    let filter: StreamEvaluator?
    let settings: Settings

    package init(_ source: String, settings: Settings = Settings()) throws(StreamMappingError) {
        self.source = source
        self.settings = settings
        let clauses = Self.splitClauses(source)
        let head = clauses[0]
        guard let arrow = head.range(of: "->") else {
            throw StreamMappingError("mapping '\(source)': expected INPUT -> OUTPUT")
        }
        inputPattern = head[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)
        let outputText = head[arrow.upperBound...].trimmingCharacters(in: .whitespaces)
        var vars: [String: Int] = [:]
        var subscribe: [String] = []
        let tokens = inputPattern.split(separator: ".", omittingEmptySubsequences: false)
        for (i, t) in tokens.enumerated() {
            if t.hasPrefix("{") && t.hasSuffix("}") && t.count > 2 {
                vars[String(t.dropFirst().dropLast())] = i
                subscribe.append("*")
            } else {
                guard !t.isEmpty, !t.contains(" "), t != ">" || i == tokens.count - 1 else {
                    throw StreamMappingError("mapping '\(source)': input '\(inputPattern)' is not a subject pattern")
                }
                subscribe.append(String(t))
            }
        }
        variables = vars
        subscribeSubject = subscribe.joined(separator: ".")
        guard !outputText.isEmpty else { throw StreamMappingError("mapping '\(source)': the output subject is empty") }
        output = try StreamTemplate(outputText)
        var sets: [(String, StreamEvaluator)] = []
        var filter: StreamEvaluator?
        for clause in clauses.dropFirst() {
            let c = clause.trimmingCharacters(in: .whitespaces)
            if c.hasPrefix("set ") {
                let body = c.dropFirst(4)
                guard let eq = body.firstIndex(of: "=") else {
                    throw StreamMappingError("mapping '\(source)': '\(c)' is not `set NAME = EXPRESSION`")
                }
                let name = body[..<eq].trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                    throw StreamMappingError("mapping '\(source)': '\(name)' is not a field name")
                }
                sets.append((name, try Self.evaluator(String(body[body.index(after: eq)...]), settings, source)))
            } else if c.hasPrefix("where ") {
                guard filter == nil else { throw StreamMappingError("mapping '\(source)': more than one `where`") }
                filter = try Self.evaluator(String(c.dropFirst(6)), settings, source)
            } else {
                throw StreamMappingError("mapping '\(source)': '\(c)' is neither `set NAME = EXPRESSION` nor `where EXPRESSION`")
            }
        }
        self.sets = sets
        self.filter = filter
    }

    static func evaluator(_ text: String, _ s: Settings, _ source: String) throws(StreamMappingError) -> StreamEvaluator {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        do {
            let tree = try StreamExpression.parse(trimmed)
            return StreamEvaluator(source: trimmed, tree: tree, compiled: s.compiledExpressions, staticCache: s.staticCache)
        } catch {
            throw StreamMappingError("mapping '\(source)': \(error)")
        }
    }

    /// Splits on `|` outside quotes that is not part of `||`.
    static func splitClauses(_ text: String) -> [String] {
        split(text) { chars, i in chars[i] == "|" && chars[safe: i + 1] != "|" && chars[safe: i - 1] != "|" }
    }

    /// Splits `text` where `isSeparator` says, never inside a quoted string.
    static func split(_ text: String, isSeparator: ([Character], Int) -> Bool) -> [String] {
        var out: [String] = []
        var current = ""
        var quote: Character?
        let chars = Array(text)
        for (i, c) in chars.enumerated() {
            if let q = quote {
                if c == q { quote = nil }
                current.append(c)
            } else if c == "\"" || c == "'" {
                quote = c
                current.append(c)
            } else if isSeparator(chars, i) {
                out.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        out.append(current)
        return out
    }

    /// Applies the mapping to one message; the output payload is written to `payload` (emptied first).
    package func apply(subject: String, payload input: some Collection<UInt8>, into payload: inout [UInt8]) -> Outcome {
        payload.removeAll(keepingCapacity: true)
        var value: StreamValue
        do throws(StreamJSON.SyntaxError) {
            value = try StreamJSON.parse(input)
        } catch {
            return .failed(StreamEvalError(error.description))
        }
        guard case .object = value else { return .failed(StreamEvalError("payload is a JSON \(value.typeName), not an object")) }
        let context = StreamMessageContext(subject: subject, variables: variables, payload: value)
        do throws(StreamEvalError) {
            if let filter {
                let keep = try filter.evaluate(context)
                guard case .bool(let b) = keep else { throw StreamEvalError("where needs a boolean, found \(keep.typeName)") }
                if !b { return .dropped }
            }
            let out = try output.render(context, precompiled: settings.precompiledTemplates)
            for (name, e) in sets { value.set(name, try e.evaluate(context)) }
            StreamJSON.write(value, into: &payload)
            return .publish(subject: out)
        } catch {
            return .failed(error)
        }
    }

    /// Every mapping in `text` (`;` or new line between them; `#` comment lines).
    package static func parseAll(_ text: String, settings: Settings = Settings()) throws(StreamMappingError) -> [StreamMapping] {
        var out: [StreamMapping] = []
        for line in split(text, isSeparator: { chars, i in chars[i] == "\n" || chars[i] == ";" }) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty || t.hasPrefix("#") { continue }
            out.append(try StreamMapping(t, settings: settings))
        }
        guard !out.isEmpty else { throw StreamMappingError("no mapping given") }
        return out
    }
}

extension Array {
    fileprivate subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
