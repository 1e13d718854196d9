import Foundation
import NATSWire
import NIOCore
import NIOPosix
import XCTest

/// A plain NATS client for tests: raw protocol lines out, every MSG payload collected by sid.
final class TestNATSClient: @unchecked Sendable {
    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = NATSServerOp
        let received = Locked<[String: [String]]>([:])
        let pongs = Locked<Int>(0)
        let errors = Locked<[String]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .msg(_, let sid, _, let payload):
                received.withLockedValue { $0[String(sid), default: []].append(String(buffer: payload)) }
            case .ping:
                var b = context.channel.allocator.buffer(capacity: 8)
                b.writeNATSPong()
                context.writeAndFlush(NIOAny(b), promise: nil)
            case .pong:
                pongs.withLockedValue { $0 += 1 }
            case .err(let text):
                errors.withLockedValue { $0.append(text) }
            default:
                break
            }
        }
    }

    let channel: Channel
    private let collector: Collector
    private var pingsSent = 0

    init(port: Int, group: EventLoopGroup) throws {
        let collector = Collector()
        self.collector = collector
        channel = try ClientBootstrap(group: group)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(NATSServerOpDecoder()))
                    try ch.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).wait()
        try send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\n")
    }

    func send(_ text: String) throws {
        try channel.writeAndFlush(ByteBuffer(string: text)).wait()
    }

    /// PING, then wait for its PONG: the node processed (and, for SUBs, stored in the DHT) all before.
    func barrier(timeout: Double = 10) throws {
        pingsSent += 1
        try send("PING\r\n")
        let want = pingsSent
        try wait(timeout: timeout, "PONG \(want)") { collector.pongs.withLockedValue { $0 } >= want }
    }

    func messages(sid: String) -> [String] { collector.received.withLockedValue { $0[sid] ?? [] } }
    var errors: [String] { collector.errors.withLockedValue { $0 } }

    func wait(timeout: Double, _ what: String, until: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !until() {
            if Date() > deadline { throw TimeoutError(what: what) }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    func close() { try? channel.close().wait() }
}

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// A value behind a lock.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func withLockedValue<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
