/// A violation of the NATS client protocol found by `NATSClientOpParser` or `NATSServerOpParser`.
///
/// `offset` is the position of the offending byte counted from the first byte the parser was ever fed,
/// so a message can point at the exact place in a captured stream.
public struct NATSProtocolError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The control line starts with an operation name the protocol does not define.
        case unknownOperation
        /// The control line has the wrong number of arguments, or an argument is malformed.
        case badArguments
        /// A size field is not a non-negative decimal number (or a header size exceeds the total size).
        case badSize
        /// The payload is not followed by `\r\n`.
        case missingPayloadTerminator
        /// No line feed within the control line limit.
        case controlLineTooLong
        /// A `PUB`/`HPUB` announces more payload than the configured maximum.
        case maxPayloadExceeded
    }

    public var kind: Kind
    /// Byte position (from the start of the stream) of the first byte that was wrong.
    public var offset: Int
    public var message: String

    public init(_ kind: Kind, offset: Int, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    public var description: String { "NATS protocol error at byte \(offset): \(message)" }
}
