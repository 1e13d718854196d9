import ComponentKit
import NATSWire
import NIOCore

/// One local NATS client of a node: what it subscribed to, its queued output (flushed once per read
/// batch), and the PONGs held back until its subscriptions are stored in the DHT. Confined to the
/// node's event loop.
final class MeshLocalClient: @unchecked Sendable {
    let channel: Channel
    var out: ByteBuffer
    var touched = false
    var verbose = true
    var echo = true
    /// CONNECT `headers:true`: HMSG with headers; else headers are dropped and a MSG sent.
    var headers = false
    /// CONNECT `no_responders:true` (with headers): a request nobody gets is answered with status 503.
    var noResponders = false
    var subscriptions: [ByteBuffer: MeshLocalSubscription] = [:]
    /// STOREs of this client's subscriptions not yet acknowledged.
    var pendingStores = 0
    /// PONGs owed once `pendingStores` reaches zero, so a PING after SUB means "findable mesh-wide".
    var deferredPongs = 0
    var closed = false

    init(channel: Channel) {
        self.channel = channel
        out = channel.allocator.buffer(capacity: 4096)
    }

    @inline(__always)
    func writeMsg(subject: ByteBuffer, sid: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer?, payload: ByteBuffer) {
        if let headers, self.headers {
            return writeHMsg(subject: subject, sid: sid, reply: reply, headers: headers, payload: payload)
        }
        out.writeNATSMsg(subject: subject, sid: sid, reply: reply, payload: payload)
    }

    private func writeHMsg(subject: ByteBuffer, sid: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer, payload: ByteBuffer) {
        out.writeStaticString("HMSG ")
        writeTarget(subject: subject, sid: sid, reply: reply)
        out.writeNATSDecimal(UInt64(headers.readableBytes))
        out.writeInteger(UInt8(ascii: " "))
        out.writeNATSDecimal(UInt64(headers.readableBytes + payload.readableBytes))
        out.writeNATSCRLF()
        out.writeImmutableBuffer(headers)
        out.writeImmutableBuffer(payload)
        out.writeNATSCRLF()
    }

    /// `subject sid [reply] ` of a MSG or HMSG line.
    @inline(__always)
    private func writeTarget(subject: ByteBuffer, sid: ByteBuffer, reply: ByteBuffer?) {
        out.writeImmutableBuffer(subject)
        out.writeInteger(UInt8(ascii: " "))
        out.writeImmutableBuffer(sid)
        if let reply {
            out.writeInteger(UInt8(ascii: " "))
            out.writeImmutableBuffer(reply)
        }
        out.writeInteger(UInt8(ascii: " "))
    }

    /// Writes and flushes the queued output, then reuses the buffer (no allocation per flush).
    func flush() {
        touched = false
        guard !closed, out.readableBytes > 0 else { return }
        channel.writeAndFlush(out, promise: nil)
        out.clearAfterWrite(freshCapacity: 4096)
    }

    func storeSettled() {
        pendingStores -= 1
        if pendingStores <= 0 {
            pendingStores = 0
            for _ in 0..<deferredPongs { out.writeNATSPong() }
            deferredPongs = 0
            flush()
        }
    }
}

/// One local `SUB`.
final class MeshLocalSubscription: @unchecked Sendable {
    unowned let client: MeshLocalClient
    let subject: ByteBuffer
    let subjectText: String
    let sid: ByteBuffer
    let queue: String?
    let isWildcard: Bool
    var maxMessages = 0
    var delivered = 0

    init(client: MeshLocalClient, subject: ByteBuffer, sid: ByteBuffer, queue: String?, isWildcard: Bool) {
        self.client = client
        self.subject = subject
        subjectText = String(buffer: subject)
        self.sid = sid
        self.queue = queue
        self.isWildcard = isWildcard
    }
}
