import MeshWire
import NIOCore

/// Serves one incoming peer connection: answers requests and delivers forwarded messages.
final class MeshPeerServerHandler: ChannelInboundHandler {
    typealias InboundIn = MeshFrame
    typealias OutboundOut = ByteBuffer

    private let core: MeshNodeCore
    private var pending: ByteBuffer?
    private var reading = false

    init(core: MeshNodeCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let channel = context.channel
        reading = true
        core.handle(frame) { [self] answer in
            // Answers given while the read batch is open go out with it; a deferred one on its own.
            var b = (reading ? pending : nil) ?? channel.allocator.buffer(capacity: 256)
            answer.encode(into: &b)
            if reading { pending = b } else { channel.writeAndFlush(b, promise: nil) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        reading = false
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
