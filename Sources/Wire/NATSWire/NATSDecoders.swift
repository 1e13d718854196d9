import NIOCore

/// `ByteToMessageDecoder` producing `NATSClientOp`s (server side of a connection).
public struct NATSClientOpDecoder: ByteToMessageDecoder {
    public typealias InboundOut = NATSClientOp
    private var parser: NATSClientOpParser

    public init(parser: NATSClientOpParser = NATSClientOpParser()) { self.parser = parser }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let op = try parser.next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(op))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// `ByteToMessageDecoder` producing `NATSServerOp`s (client side of a connection).
public struct NATSServerOpDecoder: ByteToMessageDecoder {
    public typealias InboundOut = NATSServerOp
    private var parser: NATSServerOpParser

    public init(parser: NATSServerOpParser = NATSServerOpParser()) { self.parser = parser }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let op = try parser.next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(op))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
