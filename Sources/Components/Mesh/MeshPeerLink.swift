import MeshWire
import NIOCore
import NIOPosix

/// One outgoing TCP connection to a peer's peer port: requests go out, their answers come back on it
/// and complete the waiting callbacks; forwarded frames go out on it too. A pooled link lives until
/// it fails or the node stops; a one-shot link carries one request (or one forwarded frame asking
/// for an ack) and closes with a reset as soon as the answer is in, so per-publish connections leave
/// no TIME_WAIT behind. Confined to the node's event loop.
final class MeshPeerLink: @unchecked Sendable {
    let contact: MeshContact
    let oneShot: Bool
    private weak var core: MeshNodeCore?
    private var channel: Channel?
    /// Frames sent before the connection is up, copied in (the caller reuses its buffer).
    private var queued = ByteBuffer()
    private var waiters: [UInt32: (MeshFrame?) -> Void] = [:]
    private(set) var closed = false
    /// Set by the node to hear of writability changes (backpressure).
    var isWritable: Bool { channel?.isWritable ?? true }

    init(contact: MeshContact, oneShot: Bool, core: MeshNodeCore) {
        self.contact = contact
        self.oneShot = oneShot
        self.core = core
    }

    func connect(loop: EventLoop) {
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.writeBufferWaterMark, value: .init(low: 512 << 10, high: 4 << 20))
            .connectTimeout(.seconds(3))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MeshFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(MeshLinkHandler(link: self))
                }
            }
            .connect(host: contact.host, port: contact.port)
            .whenComplete { [self] result in
                switch result {
                case .success(let ch):
                    core?.counters.peerConnectionsOpened += 1
                    if closed {
                        ch.close(promise: nil)
                        return
                    }
                    channel = ch
                    if queued.readableBytes > 0 { ch.writeAndFlush(queued, promise: nil) }
                    queued = ByteBuffer()
                case .failure:
                    core?.counters.peerConnectionsFailed += 1
                    core?.connectFailed(contact)
                    fail(reachable: false)
                }
            }
    }

    /// Writes `bytes` (whole frames) and flushes; copied into a queue until the connection is up,
    /// so that the caller may reuse its buffer at once.
    func send(_ bytes: ByteBuffer) {
        if closed { return }
        if let channel {
            channel.writeAndFlush(bytes, promise: nil)
        } else {
            queued.writeImmutableBuffer(bytes)
        }
    }

    /// Sends a request; `completion` gets the answer, or nil on timeout or a broken connection.
    func request(_ frame: MeshFrame, timeout: TimeAmount, loop: EventLoop, completion: @escaping (MeshFrame?) -> Void) {
        if closed { return completion(nil) }
        let rpc = frame.rpc
        waiters[rpc] = completion
        loop.scheduleTask(in: timeout) { [self] in
            if let w = waiters.removeValue(forKey: rpc) { w(nil) }
        }
        var b = ByteBuffer()
        frame.encode(into: &b)
        send(b)
    }

    /// Waits for the answer `rpc` of bytes already sent (a forwarded frame asking for an ack).
    func expect(rpc: UInt32, timeout: TimeAmount, loop: EventLoop, completion: @escaping (MeshFrame?) -> Void) {
        if closed { return completion(nil) }
        waiters[rpc] = completion
        loop.scheduleTask(in: timeout) { [self] in
            if let w = waiters.removeValue(forKey: rpc) { w(nil) }
        }
    }

    func receive(_ frame: MeshFrame) {
        if let w = waiters.removeValue(forKey: frame.rpc) { w(frame) }
        if oneShot && waiters.isEmpty { close() }
    }

    /// Closes the connection; a one-shot link resets it (SO_LINGER 0).
    func close() {
        guard !closed else { return }
        closed = true
        core?.linkClosed(self, reachable: true)
        if let channel {
            if oneShot, let provider = channel as? SocketOptionProvider {
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
        }
        failWaiters()
    }

    func fail(reachable: Bool) {
        guard !closed else { return failWaiters() }
        closed = true
        core?.linkClosed(self, reachable: reachable)
        channel?.close(promise: nil)
        failWaiters()
    }

    private func failWaiters() {
        let pending = waiters
        waiters.removeAll()
        queued = ByteBuffer()
        for (_, w) in pending { w(nil) }
    }

    func writabilityChanged() { core?.peerWritabilityChanged() }
}

/// The pipeline end of a `MeshPeerLink`: hands answers to the link, reports the close.
final class MeshLinkHandler: ChannelInboundHandler {
    typealias InboundIn = MeshFrame
    private let link: MeshPeerLink

    init(link: MeshPeerLink) { self.link = link }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        link.receive(unwrapInboundIn(data))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        link.writabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        link.fail(reachable: true)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        link.fail(reachable: true)
        context.close(promise: nil)
    }
}
