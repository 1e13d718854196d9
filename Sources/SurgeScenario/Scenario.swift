/// A parsed scenario file. (Being filled in by the foundation work.)
public struct Scenario: Sendable {
    public var name: String
    public init(name: String) { self.name = name }
}
