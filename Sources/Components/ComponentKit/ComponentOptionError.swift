/// A component option with an unknown key or a value outside what the key accepts:
/// `broker option flush=sometimes: expected immediate, batched or read`.
public struct ComponentOptionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The component (`broker`, `http`, `mesh-node`).
    public var component: String
    public var key: String
    public var value: String
    public var accepted: String

    public init(component: String, key: String, value: String, accepted: String) {
        self.component = component
        self.key = key
        self.value = value
        self.accepted = accepted
    }

    public var description: String { "\(component) option \(key)=\(value): expected \(accepted)" }
}
