import ComponentKit
import NATSWire
import NIOCore

/// One worker's connection to the broker: answers INFO with CONNECT and a SUB per mapping (queue
/// group `surge-stream`, so workers share the input), maps every MSG and publishes the result.
/// With pooling the outputs of one read go out in one buffer and one flush, and the payload scratch
/// space is reused; without, every output gets fresh buffers and a flush of its own.
final class StreamWorkerHandler: ChannelInboundHandler {
    typealias InboundIn = NATSServerOp
    typealias OutboundOut = ByteBuffer

    private let mappings: [StreamMapping]
    private let counters: StreamCounters
    private let pooling: Bool
    private let handicap: Handicap
    private let ready: EventLoopPromise<Void>
    private var scratch: [UInt8] = []
    private var batch: ByteBuffer?
    private var subscribed = false
    private var readyDone = false

    init(mappings: [StreamMapping], counters: StreamCounters, pooling: Bool, handicap: Handicap, ready: EventLoopPromise<Void>) {
        self.mappings = mappings
        self.counters = counters
        self.pooling = pooling
        self.handicap = handicap
        self.ready = ready
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .info where !subscribed:
            subscribed = true
            var out = context.channel.allocator.buffer(capacity: 256)
            out.writeNATSConnect(json: #"{"verbose":false,"pedantic":false,"name":"surge-stream","protocol":1}"#)
            for (i, m) in mappings.enumerated() {
                out.writeNATSSub(subject: m.subscribeSubject, queue: "surge-stream", sid: UInt64(i + 1))
            }
            out.writeNATSPing()
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        case .pong:
            settle(nil)
        case .ping:
            var out = context.channel.allocator.buffer(capacity: 8)
            out.writeNATSPong()
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        case .msg(let subject, let sid, _, let payload):
            process(context: context, subject: subject, sid: sid, payload: payload)
        case .hmsg(let subject, let sid, _, _, let payload):
            process(context: context, subject: subject, sid: sid, payload: payload)
        case .err(let text):
            counters.failed(StreamEvalError("broker: -ERR '\(text)'"))
        case .info, .ok:
            break
        }
    }

    private func process(context: ChannelHandlerContext, subject: ByteBuffer, sid: UInt64, payload: ByteBuffer) {
        counters.msgsIn.add(1, ordering: .relaxed)
        handicap.apply()
        guard sid >= 1, Int(sid) <= mappings.count else {
            counters.failed(StreamEvalError("message for unknown subscription \(sid)"))
            return
        }
        let mapping = mappings[Int(sid) - 1]
        let subjectText = String(buffer: subject)
        if !pooling { scratch = [] }
        switch mapping.apply(subject: subjectText, payload: payload.readableBytesView, into: &scratch) {
        case .dropped:
            counters.dropped.add(1, ordering: .relaxed)
        case .failed(let error):
            counters.failed(error)
        case .publish(let out):
            counters.msgsOut.add(1, ordering: .relaxed)
            if pooling {
                // The batch of the last read is written by then (its write let go of the storage):
                // cleared, it is refilled in place, and the payload goes in without a buffer of its own.
                if batch == nil { batch = context.channel.allocator.buffer(capacity: 16384) }
                batch!.writeStreamPub(subject: out, payload: scratch)
            } else {
                var buffer = context.channel.allocator.buffer(capacity: scratch.count + out.utf8.count + 32)
                buffer.writeNATSPub(subject: out.utf8, payload: ByteBuffer(bytes: scratch))
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard var b = batch, b.readableBytes > 0 else { return }
        batch = nil
        context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        // Kept for the next read: a write that went out let go of the storage, which `clear()` then
        // reuses; one still queued keeps it, and `clear()` takes fresh storage (copy on write).
        b.clear()
        batch = b
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(StreamBrokerError(description: "the broker closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        counters.failed(StreamEvalError("connection to the broker: \(error)"))
        settle(error)
        context.close(promise: nil)
    }

    /// Completes the ready promise once: the first PONG, or the first failure before it.
    private func settle(_ error: Error?) {
        guard !readyDone else { return }
        readyDone = true
        if let error { ready.fail(error) } else { ready.succeed(()) }
    }
}

extension ByteBuffer {
    /// `PUB subject N` and the payload, from the bytes in hand (no intermediate buffer).
    mutating func writeStreamPub(subject: String, payload: [UInt8]) {
        writeStaticString("PUB ")
        writeString(subject)
        writeInteger(UInt8(ascii: " "))
        writeNATSDecimal(UInt64(payload.count))
        writeNATSCRLF()
        writeBytes(payload)
        writeNATSCRLF()
    }
}

/// The broker could not be reached or dropped a worker.
package struct StreamBrokerError: Error, CustomStringConvertible, Sendable {
    package var description: String
}
