/// A violation of the mesh peer protocol found by `MeshFrameParser`.
///
/// `offset` counts from the first byte the parser was ever fed, so the message points at the exact
/// byte of a captured stream that was wrong.
public struct MeshProtocolError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The frame's type byte is not one the protocol defines.
        case unknownFrameType
        /// The length prefix announces more than the parser's maximum frame size (or less than one byte).
        case badFrameLength
        /// A field runs past the end of its frame.
        case truncatedField
        /// The frame has bytes left after its last field.
        case trailingBytes
        /// A field holds a value outside what it allows (a host that is not UTF-8, a port over 65535).
        case badField
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

    public var description: String { "mesh protocol error at byte \(offset): \(message)" }
}
