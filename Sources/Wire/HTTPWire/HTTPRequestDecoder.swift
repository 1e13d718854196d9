import NIOCore

/// A `ByteToMessageDecoder` that turns a connection's bytes into `HTTPServerRequestPart`s with
/// `HTTPRequestParser`. Errors are `HTTPParseError`s, delivered to `errorCaught` after every part
/// decoded before them.
public struct HTTPRequestDecoder: ByteToMessageDecoder {
    public typealias InboundOut = HTTPServerRequestPart

    public private(set) var parser: HTTPRequestParser

    public init(limits: HTTPRequestLimits = HTTPRequestLimits()) {
        self.parser = HTTPRequestParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        while let part = try parser.next(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(part))
        }
        return .needMoreData
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let part = try parser.next(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(part))
        }
        return .needMoreData
    }
}
