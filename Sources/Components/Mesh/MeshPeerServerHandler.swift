import MeshWire
import NIOCore

/// Serves one incoming peer connection: answers requests and delivers forwarded messages.
///
/// It parses the frames of each read itself rather than behind a `ByteToMessageHandler`: a
/// `MeshFrame` is too large for `NIOAny`'s inline storage, and passing one down the pipeline boxed
/// it, one allocation per forwarded frame (the receiving node's only allocation per message).
final class MeshPeerServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: MeshNodeCore
    private var parser = MeshFrameParser()
    /// The start of a frame the last read ended inside.
    private var partial: ByteBuffer?
    private var pending: ByteBuffer?
    private var reading = false
    /// How an answer goes out: made once per connection, not a closure per frame. It holds the
    /// handler strongly, as a deferred answer the core still holds must find it; the cycle is
    /// broken when the handler is removed.
    private var answer: ((MeshFrame) -> Void)?

    init(core: MeshNodeCore) { self.core = core }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        answer = { [self] frame in
            // Answers given while the read batch is open go out with it; a deferred one on its own.
            var b = (reading ? pending : nil) ?? channel.allocator.buffer(capacity: 256)
            frame.encode(into: &b)
            if reading { pending = b } else { channel.writeAndFlush(b, promise: nil) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        answer = nil
        partial = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let answer else { return }
        var bytes = unwrapInboundIn(data)
        if var start = partial {
            partial = nil
            start.writeBuffer(&bytes)
            bytes = start
        }
        reading = true
        do {
            while let frame = try parser.next(&bytes) {
                core.handle(frame, reply: answer)
            }
        } catch {
            // A peer that sends a malformed frame is cut off, as `ByteToMessageHandler` did.
            self.answer = nil
            context.close(promise: nil)
            return
        }
        if bytes.readableBytes > 0 { partial = bytes }
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
