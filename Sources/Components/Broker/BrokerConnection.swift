import NATSWire
import NIOCore
import Synchronization

/// The shared side of one client connection: its queue of outgoing bytes, which any event loop may
/// append deliveries to, and its subscriptions. Bytes reach the socket only on the connection's own
/// event loop (`flushNow`). Pending bytes are the queued ones plus those handed to the channel and
/// not yet written; past `maxPending` the connection is cut off as a slow consumer.
final class BrokerConnection: @unchecked Sendable {
    struct State: ~Copyable {
        var outbound: ByteBuffer
        var flushScheduled = false
        var inFlight = 0
        var closed = false
        var echo = true
        var headers = false
        var subscriptions: [[UInt8]: Subscription] = [:]
    }

    enum EnqueueOutcome {
        /// Queued; `scheduleFlush` says the caller must arrange a `flushNow` (none is pending yet).
        case delivered(scheduleFlush: Bool, reachedMax: Bool)
        case dropped
        /// This delivery pushed the connection over `maxPending`; it is now closed to deliveries.
        case slowConsumer
    }

    let id: Int
    let channel: Channel
    let eventLoop: EventLoop
    let maxPending: Int
    let state: Mutex<State>

    init(id: Int, channel: Channel, maxPending: Int) {
        self.id = id
        self.channel = channel
        self.eventLoop = channel.eventLoop
        self.maxPending = maxPending
        self.state = Mutex(State(outbound: channel.allocator.buffer(capacity: 4096)))
    }

    /// Queues a `MSG` (or `HMSG` when `headers` is given and the client declared header support).
    func enqueue(_ sub: Subscription, subject: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer?,
                 payload: ByteBuffer, publisher: BrokerConnection) -> EnqueueOutcome {
        state.withLock { s in
            if s.closed || sub.removed { return .dropped }
            if publisher === self && !s.echo { return .dropped }
            sub.delivered += 1
            var reachedMax = false
            if sub.maxMessages > 0 && sub.delivered >= sub.maxMessages {
                sub.removed = true
                s.subscriptions[sub.sid] = nil
                reachedMax = true
            }
            let withHeaders = headers != nil && s.headers
            s.outbound.writeMessage(subject: subject, sid: sub.sid, reply: reply,
                                    headers: withHeaders ? headers : nil, payload: payload)
            if s.outbound.readableBytes + s.inFlight > maxPending {
                s.closed = true
                s.outbound.clear()
                return .slowConsumer
            }
            let schedule = !s.flushScheduled
            s.flushScheduled = true
            return .delivered(scheduleFlush: schedule, reachedMax: reachedMax)
        }
    }

    /// Queues a protocol reply (`PONG`, `+OK`, `-ERR`, `INFO`) on the connection's own event loop.
    /// Returns whether a flush must be arranged.
    func enqueueControl(_ write: (inout ByteBuffer) -> Void) -> Bool {
        state.withLock { s in
            if s.closed { return false }
            write(&s.outbound)
            let schedule = !s.flushScheduled
            s.flushScheduled = true
            return schedule
        }
    }

    /// Arranges `flushNow` on the connection's event loop, from any thread.
    func scheduleFlush() {
        if eventLoop.inEventLoop {
            flushNow()
        } else {
            eventLoop.execute { self.flushNow() }
        }
    }

    /// Hands the queued bytes to the channel in one write and flushes. Own event loop only.
    func flushNow() {
        let data: ByteBuffer? = state.withLock { s in
            s.flushScheduled = false
            guard !s.closed, s.outbound.readableBytes > 0 else { return nil }
            let d = s.outbound
            s.outbound = channel.allocator.buffer(capacity: max(4096, min(d.readableBytes, 1 << 20)))
            s.inFlight += d.readableBytes
            return d
        }
        guard let data else { return }
        let n = data.readableBytes
        let promise = eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in
            self.state.withLock { $0.inFlight -= n }
        }
        channel.writeAndFlush(data, promise: promise)
    }

    /// Sends what is queued plus `-ERR 'text'`, then closes; own event loop only. Used for protocol
    /// errors. The connection accepts no deliveries from now on.
    func sendErrorAndClose(_ text: String) {
        var data = state.withLock { s -> ByteBuffer in
            s.closed = true
            let d = s.outbound
            s.outbound.clear()
            return d
        }
        data.writeNATSErr(text)
        channel.writeAndFlush(data).whenComplete { _ in self.channel.close(promise: nil) }
    }

    /// Slow-consumer cut-off, on the connection's own event loop: what is queued is dropped, the
    /// `-ERR` goes behind what the channel still holds, and the connection closes once that is
    /// written or after one second, whichever comes first.
    func closeAsSlowConsumer() {
        var err = channel.allocator.buffer(capacity: 32)
        err.writeNATSErr("Slow Consumer")
        let channel = self.channel
        channel.writeAndFlush(err).whenComplete { _ in channel.close(promise: nil) }
        eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
    }

    /// Marks the connection closed and returns its subscriptions, each marked removed.
    func closeAndTakeSubscriptions() -> [Subscription] {
        state.withLock { s in
            s.closed = true
            let subs = Array(s.subscriptions.values)
            for sub in subs { sub.removed = true }
            s.subscriptions.removeAll()
            return subs
        }
    }
}

extension ByteBuffer {
    /// Appends `MSG subject sid [reply] size` (or `HMSG … hdr_size total_size`) and the payload with
    /// one capacity check and plain memory copies: the broker's per-delivery hot path.
    @inline(__always)
    mutating func writeMessage(subject: ByteBuffer, sid: [UInt8], reply: ByteBuffer?, headers: ByteBuffer?, payload: ByteBuffer) {
        let headerBytes = headers?.readableBytes ?? 0
        let bound = 5 + subject.readableBytes + 1 + sid.count + 1 + (reply?.readableBytes ?? 0) + 1 + 21 + 21 + 2
            + headerBytes + payload.readableBytes + 2
        writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
            guard let base = out.baseAddress else { return 0 }
            var p = base
            @inline(__always) func put(_ b: UInt8) { p.storeBytes(of: b, as: UInt8.self); p += 1 }
            @inline(__always) func copy(_ buffer: ByteBuffer) {
                buffer.withUnsafeReadableBytes { src in
                    if let a = src.baseAddress { p.copyMemory(from: a, byteCount: src.count) }
                    p += src.count
                }
            }
            @inline(__always) func decimal(_ value: Int) {
                var v = value
                var digits = 1
                var t = v
                while t >= 10 { t /= 10; digits += 1 }
                var q = p + digits
                p = q
                repeat {
                    q -= 1
                    q.storeBytes(of: UInt8(truncatingIfNeeded: v % 10) &+ 48, as: UInt8.self)
                    v /= 10
                } while v > 0
            }
            if headers != nil {
                put(UInt8(ascii: "H"))
            }
            put(UInt8(ascii: "M")); put(UInt8(ascii: "S")); put(UInt8(ascii: "G")); put(UInt8(ascii: " "))
            copy(subject)
            put(UInt8(ascii: " "))
            sid.withUnsafeBytes { src in
                if let a = src.baseAddress { p.copyMemory(from: a, byteCount: src.count) }
                p += src.count
            }
            put(UInt8(ascii: " "))
            if let reply {
                copy(reply)
                put(UInt8(ascii: " "))
            }
            if let headers {
                decimal(headerBytes)
                put(UInt8(ascii: " "))
                decimal(headerBytes + payload.readableBytes)
                put(13); put(10)
                copy(headers)
            } else {
                decimal(payload.readableBytes)
                put(13); put(10)
            }
            copy(payload)
            put(13); put(10)
            return p - base
        }
    }
}
