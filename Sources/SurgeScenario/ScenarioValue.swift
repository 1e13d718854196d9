import Yams

/// A YAML value with the place it was written, kept so that every error can name its line.
public indirect enum ScenarioValue: Sendable, Equatable {
    case scalar(String, SourceLocation)
    case list([ScenarioValue], SourceLocation)
    /// Keys in file order.
    case map([ScenarioEntry], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .scalar(_, let l), .list(_, let l), .map(_, let l): return l
        }
    }

    public var scalar: String? {
        if case .scalar(let s, _) = self { return s }
        return nil
    }

    public var typeName: String {
        switch self {
        case .scalar: return "a single value"
        case .list: return "a list"
        case .map: return "a mapping"
        }
    }

    /// Converts a composed YAML node, resolving aliases as Yams does.
    init(node: Node) {
        let loc = node.mark.map { SourceLocation(line: $0.line, column: $0.column) } ?? .unknown
        switch node {
        case .scalar(let s):
            self = .scalar(s.string, loc)
        case .sequence(let seq):
            self = .list(seq.map { ScenarioValue(node: $0) }, loc)
        case .mapping(let m):
            self = .map(m.map { pair in
                let kloc = pair.key.mark.map { SourceLocation(line: $0.line, column: $0.column) } ?? .unknown
                return ScenarioEntry(key: pair.key.string ?? "", keyLocation: kloc, value: ScenarioValue(node: pair.value))
            }, loc)
        case .alias(let a):
            self = .scalar(a.anchor.rawValue, loc)
        }
    }
}

/// One `key: value` of a YAML mapping.
public struct ScenarioEntry: Sendable, Equatable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: ScenarioValue
}
