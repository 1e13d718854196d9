import NATSWire
import NIOCore
import NIOPosix

/// A protocol failure seen by a load connection: the server's `-ERR`, an early close, or bytes the
/// parser rejected.
public struct NATSLoadError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// One NATS client connection of a load driver. Everything mutable is confined to the channel's event
/// loop: the callbacks run there and may only be set there (`onLoop`).
final class NATSLoadConnection: @unchecked Sendable {
    let name: String
    let channel: Channel
    var eventLoop: EventLoop { channel.eventLoop }
    private let handlerBox: NIOLoopBound<NATSLoadHandler>
    /// The pipeline handler; use only on the event loop (checked in debug builds).
    var handler: NATSLoadHandler { handlerBox.value }

    private init(name: String, channel: Channel, handler: NIOLoopBound<NATSLoadHandler>) {
        self.name = name
        self.channel = channel
        self.handlerBox = handler
    }

    /// Connects, waits for INFO, sends CONNECT (not verbose, not pedantic) and waits for the PONG of a
    /// first PING, so the connection is usable when this returns.
    static func connect(to endpoint: Endpoint, group: any EventLoopGroup, name: String) async throws -> NATSLoadConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.writeBufferWaterMark, value: .init(low: 256 << 10, high: 1 << 20))
            .channelOption(.maxMessagesPerRead, value: 8)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 65536, maximum: 262_144))
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NATSLoadHandler(name: name, ready: channel.eventLoop.makePromise()))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port).get()
        let box = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: NATSLoadHandler.self), eventLoop: channel.eventLoop)
        }.get()
        let connection = NATSLoadConnection(name: name, channel: channel, handler: box)
        do {
            try await channel.eventLoop.flatSubmit { box.value.ready.futureResult }.get()
        } catch {
            try? await channel.close()
            throw error
        }
        return connection
    }

    /// Runs `body` on the event loop with the connection's handler state.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (NATSLoadHandler) throws -> T) async throws -> T {
        let box = handlerBox
        return try await eventLoop.submit { try body(box.value) }.get()
    }

    /// Writes raw protocol bytes and flushes.
    func send(_ bytes: ByteBuffer) async throws {
        try await channel.writeAndFlush(bytes).get()
    }

    /// PING and wait for the PONG: the server has processed everything sent before.
    func flushBarrier(timeout: TimeAmount = .seconds(30)) async throws {
        let box = handlerBox
        let name = self.name
        try await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            let handler = box.value
            let promise = handler.sendPing()
            let timer = handler.eventLoop.scheduleTask(in: timeout) {
                promise.fail(NATSLoadError(description: "\(name): no PONG within \(timeout.nanoseconds / 1_000_000_000)s"))
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            return promise.futureResult
        }.get()
    }

    func close() async {
        try? await channel.close()
    }
}

/// The pipeline handler of a `NATSLoadConnection`: parses server operations, answers PINGs, completes
/// PING barriers and hands each MSG to `onMessage` as slices (no copy, no String).
final class NATSLoadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let name: String
    let ready: EventLoopPromise<Void>
    private(set) var context: ChannelHandlerContext?
    var eventLoop: EventLoop { ready.futureResult.eventLoop }
    @exclusivity(unchecked) private var parser = NATSServerOpParser()
    @exclusivity(unchecked) private var cumulation: ByteBuffer?
    private var connected = false
    private var pongWaiters = CircularBuffer<EventLoopPromise<Void>>()
    /// The first failure (server -ERR, parse error, close); later operations fail with it.
    private(set) var failure: NATSLoadError?

    @exclusivity(unchecked) var onMessage: ((_ subject: ByteBuffer, _ sid: UInt64, _ reply: ByteBuffer?, _ payload: ByteBuffer) -> Void)?
    var onWritable: (() -> Void)?
    var onReadComplete: (() -> Void)?
    /// Called once, on the first failure.
    var onFailure: (() -> Void)?

    init(name: String, ready: EventLoopPromise<Void>) {
        self.name = name
        self.ready = ready
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func sendPing() -> EventLoopPromise<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        if let failure {
            promise.fail(failure)
            return promise
        }
        pongWaiters.append(promise)
        var b = context?.channel.allocator.buffer(capacity: 8) ?? ByteBuffer()
        b.writeNATSPing()
        context?.writeAndFlush(NIOAny(b), promise: nil)
        return promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var acc = cumulation {
            cumulation = nil
            acc.writeBuffer(&incoming)
            process(context, &acc)
        } else {
            process(context, &incoming)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        onReadComplete?()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { onWritable?() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(NATSLoadError(description: "\(name): connection closed by the server"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(NATSLoadError(description: "\(name): \(error)"))
        context.close(promise: nil)
    }

    private func process(_ context: ChannelHandlerContext, _ buffer: inout ByteBuffer) {
        var parser = self.parser // local copy: no dynamic exclusivity check per message
        defer { self.parser = parser }
        do {
            while let op = try parser.next(&buffer) {
                switch op {
                case .msg(let subject, let sid, let reply, let payload):
                    onMessage?(subject, sid, reply, payload)
                case .hmsg(let subject, let sid, let reply, _, let payload):
                    onMessage?(subject, sid, reply, payload)
                case .ping:
                    var b = context.channel.allocator.buffer(capacity: 8)
                    b.writeNATSPong()
                    context.writeAndFlush(NIOAny(b), promise: nil)
                case .pong:
                    if !connected {
                        connected = true
                        ready.succeed()
                    } else if let waiter = pongWaiters.popFirst() {
                        waiter.succeed()
                    }
                case .info:
                    if !connected {
                        var b = context.channel.allocator.buffer(capacity: 256)
                        b.writeNATSConnect(json: "{\"verbose\":false,\"pedantic\":false,\"echo\":true,\"headers\":false,\"protocol\":1,\"lang\":\"swift\",\"version\":\"surge\",\"name\":\"surge-\(name)\"}")
                        b.writeNATSPing()
                        context.writeAndFlush(NIOAny(b), promise: nil)
                    }
                case .ok:
                    break
                case .err(let text):
                    fail(NATSLoadError(description: "\(name): server sent -ERR '\(text)'"))
                }
            }
        } catch {
            fail(NATSLoadError(description: "\(name): \(error)"))
            context.close(promise: nil)
            return
        }
        if buffer.readableBytes > 0 {
            if buffer.readerIndex > 65536 { buffer.discardReadBytes() }
            cumulation = buffer
        }
    }

    private func fail(_ error: NATSLoadError) {
        if failure == nil {
            failure = error
            onFailure?()
        }
        if !connected {
            connected = true
            ready.fail(error)
        }
        while let waiter = pongWaiters.popFirst() { waiter.fail(error) }
    }
}
