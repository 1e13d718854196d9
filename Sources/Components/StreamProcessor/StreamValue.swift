/// A JSON value as the stream processor's mappings see it. Objects keep their keys in order, so an
/// output payload lists the input's fields first and the mapping's `set` fields after them.
package enum StreamValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([StreamValue])
    case object([(key: String, value: StreamValue)])

    package static func == (a: StreamValue, b: StreamValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The type's name in error messages.
    package var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The member `key` of an object; nil for a missing key or a non-object.
    package subscript(key: String) -> StreamValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Sets (replacing or appending) the member `key` of an object.
    package mutating func set(_ key: String, _ value: StreamValue) {
        guard case .object(var members) = self else { return }
        self = .null
        if let i = members.firstIndex(where: { $0.key == key }) {
            members[i].value = value
        } else {
            members.append((key, value))
        }
        self = .object(members)
    }

    /// The text a template or a string concatenation shows: strings as they are, whole numbers
    /// without a fraction (`3`, not `3.0`), everything else as JSON.
    package var text: String {
        switch self {
        case .string(let s): return s
        case .number(let d): return Self.format(d)
        default:
            var out: [UInt8] = []
            StreamJSON.write(self, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
