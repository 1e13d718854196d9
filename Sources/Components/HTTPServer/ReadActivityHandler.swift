import NIOCore

/// The user event `ReadActivityHandler` fires on every read, before the bytes are decoded.
struct HTTPBytesArrived: Sendable {}

/// Sits in front of the request decoder and tells the connection handler that bytes arrived, so
/// it can time how long a request head takes to arrive (slowloris) even while the decoder has
/// emitted nothing yet.
final class ReadActivityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(HTTPBytesArrived())
        context.fireChannelRead(data)
    }
}
