import MeshWire
import NIOCore

/// Serves one incoming peer connection: answers requests and delivers forwarded messages.
final class MeshPeerServerHandler: ChannelInboundHandler {
    typealias InboundIn = MeshFrame
    typealias OutboundOut = ByteBuffer

    private let core: MeshNodeCore
    private var pending: ByteBuffer?

    init(core: MeshNodeCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        core.handle(frame) { answer in
            var b = pending ?? context.channel.allocator.buffer(capacity: 256)
            answer.encode(into: &b)
            pending = b
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let b = pending {
            pending = nil
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        }
        core.flushTouched()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
