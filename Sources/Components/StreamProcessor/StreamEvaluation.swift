/// What one message offers a mapping: its subject, the subject variables the input pattern bound
/// and the payload parsed as JSON.
package struct StreamMessageContext: Sendable {
    package var subject: String
    /// The subject's tokens (`orders.eu.1` → `orders`, `eu`, `1`).
    package var tokens: [Substring]
    /// Name → token index, from the input pattern's `{name}` tokens.
    package var variables: [String: Int]
    package var payload: StreamValue

    package init(subject: String, variables: [String: Int], payload: StreamValue) {
        self.subject = subject
        tokens = subject.split(separator: ".", omittingEmptySubsequences: false)
        self.variables = variables
        self.payload = payload
    }

    /// A field: `payload.a.b`, `subject`, or a subject variable.
    package func field(_ path: [String]) throws(StreamEvalError) -> StreamValue {
        switch path[0] {
        case "payload":
            var v = payload
            for key in path.dropFirst() {
                guard let next = v[key] else {
                    throw StreamEvalError("missing field \(path.joined(separator: "."))")
                }
                v = next
            }
            return v
        case "subject" where path.count == 1: return .string(subject)
        default:
            guard path.count == 1, let index = variables[path[0]], index < tokens.count else {
                throw StreamEvalError(
                    "unknown name \(path.joined(separator: ".")) (use payload.<field>, subject or a {variable} of the input subject)")
            }
            return .string(String(tokens[index]))
        }
    }
}

/// A message a mapping could not evaluate (missing field, type error, division by zero): counted
/// in `errors`, the message is not published, the processor goes on.
package struct StreamEvalError: Error, CustomStringConvertible, Sendable, Equatable {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// An expression ready to evaluate per message, the way `expressions:` says.
package struct StreamEvaluator: Sendable {
    private let run: Compiled

    /// `compiled`: the tree is turned once into nested closures; `interpreted`: the source text is
    /// parsed again for every message and the tree walked (what a naive processor does).
    package init(source: String, tree: StreamExpression, compiled: Bool, staticCache: Bool) {
        if staticCache, tree.isStatic, let value = try? Self.evaluate(tree, StreamMessageContext.empty) {
            run = { _ in value }
        } else if compiled {
            let closure = Self.compile(tree)
            run = { context in try closure(context) }
        } else {
            run = { context in
                let reparsed: StreamExpression
                do { reparsed = try StreamExpression.parse(source) } catch { throw StreamEvalError("\(error)") }
                return try Self.evaluate(reparsed, context)
            }
        }
    }

    package func evaluate(_ context: StreamMessageContext) throws(StreamEvalError) -> StreamValue {
        do {
            return try run(context)
        } catch let e as StreamEvalError {
            throw e
        } catch {
            throw StreamEvalError("\(error)")
        }
    }

    typealias Compiled = @Sendable (StreamMessageContext) throws -> StreamValue

    static func compile(_ e: StreamExpression) -> Compiled {
        switch e {
        case .literal(let v): return { _ in v }
        case .path(let p): return { c in try c.field(p) }
        case .unary(let op, let inner):
            let a = compile(inner)
            return { c in try unary(op, try a(c)) }
        case .binary(let op, let l, let r):
            let a = compile(l)
            let b = compile(r)
            switch op {
            case "&&": return { c in try truth(op, try a(c)) ? .bool(try truth(op, try b(c))) : .bool(false) }
            case "||": return { c in try truth(op, try a(c)) ? .bool(true) : .bool(try truth(op, try b(c))) }
            default: return { c in try binary(op, try a(c), try b(c)) }
            }
        }
    }

    /// The tree walk.
    static func evaluate(_ e: StreamExpression, _ c: StreamMessageContext) throws(StreamEvalError) -> StreamValue {
        switch e {
        case .literal(let v): return v
        case .path(let p): return try c.field(p)
        case .unary(let op, let inner): return try unary(op, try evaluate(inner, c))
        case .binary("&&", let l, let r):
            return try truth("&&", try evaluate(l, c)) ? .bool(try truth("&&", try evaluate(r, c))) : .bool(false)
        case .binary("||", let l, let r):
            return try truth("||", try evaluate(l, c)) ? .bool(true) : .bool(try truth("||", try evaluate(r, c)))
        case .binary(let op, let l, let r): return try binary(op, try evaluate(l, c), try evaluate(r, c))
        }
    }

    static func truth(_ op: String, _ v: StreamValue) throws(StreamEvalError) -> Bool {
        guard case .bool(let b) = v else { throw StreamEvalError("\(op) needs booleans, found \(v.typeName)") }
        return b
    }

    static func unary(_ op: Character, _ v: StreamValue) throws(StreamEvalError) -> StreamValue {
        switch (op, v) {
        case ("-", .number(let d)): return .number(-d)
        case ("!", .bool(let b)): return .bool(!b)
        default: throw StreamEvalError("cannot apply \(op) to \(v.typeName)")
        }
    }

    static func binary(_ op: String, _ a: StreamValue, _ b: StreamValue) throws(StreamEvalError) -> StreamValue {
        switch (op, a, b) {
        case ("==", _, _): return .bool(a == b)
        case ("!=", _, _): return .bool(a != b)
        case ("+", .string, _), ("+", _, .string): return .string(a.text + b.text)
        case (_, .number(let x), .number(let y)):
            switch op {
            case "+": return .number(x + y)
            case "-": return .number(x - y)
            case "*": return .number(x * y)
            case "/", "%":
                guard y != 0 else { throw StreamEvalError("division by zero") }
                return .number(op == "/" ? x / y : x.truncatingRemainder(dividingBy: y))
            case "<": return .bool(x < y)
            case "<=": return .bool(x <= y)
            case ">": return .bool(x > y)
            case ">=": return .bool(x >= y)
            default: break
            }
        case ("<", .string(let x), .string(let y)): return .bool(x < y)
        case ("<=", .string(let x), .string(let y)): return .bool(x <= y)
        case (">", .string(let x), .string(let y)): return .bool(x > y)
        case (">=", .string(let x), .string(let y)): return .bool(x >= y)
        default: break
        }
        throw StreamEvalError("cannot apply \(op) to \(a.typeName) and \(b.typeName)")
    }
}

extension StreamMessageContext {
    static let empty = StreamMessageContext(subject: "", variables: [:], payload: .null)
}
