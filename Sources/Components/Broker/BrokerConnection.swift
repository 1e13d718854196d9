import ComponentKit
import Foundation
import NATSWire
import NIOCore
import Synchronization

/// The shared side of one client connection: its queue of outgoing bytes, which any event loop may
/// append deliveries to, and its subscriptions. Bytes reach the socket only on the connection's own
/// event loop (`flushNow`). Pending bytes are the queued ones plus the capacity of the buffers handed
/// to the channel and not yet written: while the channel is not writable, deliveries are coalesced
/// into the queue instead of being handed over one buffer per flush, so what is pending is what
/// memory holds. Past `maxPending` the connection is cut off as a slow consumer; with the stall
/// policy, past a quarter of it the publishers feeding it are held back until it drains (`stalled`),
/// and it is cut off when it stays there for the write deadline. A quarter, not a half: the queue that
/// crossed the mark is handed to the channel whole, and its capacity (what memory holds, up to twice
/// the bytes in it) then counts as pending; from half the mark, that alone would reach `maxPending`
/// and cut a subscriber that is still reading.
final class BrokerConnection: @unchecked Sendable {
    struct State: ~Copyable {
        var outbound: ByteBuffer
        /// The buffer of the last write the socket took whole, cleared: the next flush's queue.
        var spare: ByteBuffer?
        var flushScheduled = false
        /// `flushNow` as a task for the connection's event loop, made once: a closure made per
        /// cross-loop flush was an allocation per delivery batch. It holds the connection strongly,
        /// as a queued task must, and the cycle is broken when the connection closes
        /// (`closeAndTakeSubscriptions`). Not `[weak self]`: one weak reference gives the object a
        /// side table, and from then on every retain and release of the connection takes the slow
        /// path (15% of a publish-only broker's time, where each PUB retains its connection once).
        var flushTask: FlushTask?
        var inFlight = 0
        var closed = false
        var echo = true
        var headers = false
        var subscriptions: [[UInt8]: Subscription] = [:]
        /// Publishers whose reading is paused until this connection drains below the stall mark.
        var stalled: [BrokerConnection] = []
        /// Since when the connection has been over the stall mark (nil when under it).
        var overSince: NIODeadline?
        var outMsgs = 0
        var outBytes = 0
        var inMsgs = 0
        var inBytes = 0
        var lastActivity = NIODeadline.now()
        /// The `protocol` of the client's CONNECT: 1 and up take asynchronous INFOs (lame duck).
        var proto = 0
        var name = ""
        var lang = ""
        var version = ""
    }

    enum EnqueueOutcome {
        /// Queued; `scheduleFlush` says the caller must arrange a `flushNow` (none is pending yet);
        /// `stall` that the publisher must stop reading until it is resumed; `armDeadline` that this
        /// delivery took the connection over the stall mark (the write deadline starts now).
        case delivered(scheduleFlush: Bool, reachedMax: Bool, stall: Bool, armDeadline: Bool)
        case dropped
        /// This delivery pushed the connection over `maxPending`; it is now closed to deliveries.
        case slowConsumer
    }

    let id: Int
    let channel: Channel
    let eventLoop: EventLoop
    let maxPending: Int
    /// A quarter of `maxPending` with the stall policy (see the type's comment); `Int.max` with cut.
    let stallMark: Int
    let writeDeadline: TimeAmount
    let started = Date()
    let remote: (ip: String, port: Int)
    let state: Mutex<State>

    init(id: Int, channel: Channel, options: BrokerOptions) {
        self.id = id
        self.channel = channel
        self.eventLoop = channel.eventLoop
        self.maxPending = options.maxPending
        self.stallMark = options.slowConsumer == .stall ? options.maxPending / 4 : .max
        self.writeDeadline = .nanoseconds(Int64(options.writeDeadline * 1e9))
        self.remote = (channel.remoteAddress?.ipAddress ?? "", channel.remoteAddress?.port ?? 0)
        self.state = Mutex(State(outbound: channel.allocator.buffer(capacity: 4096)))
        state.withLock { $0.flushTask = FlushTask { self.flushNow() } }
    }

    /// Queues a `MSG` (or `HMSG` when `headers` is given and the client declared header support).
    /// `publisher` nil: a message of the broker's own (no echo check, nobody to hold back).
    func enqueue(_ sub: Subscription, subject: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer?,
                 payload: ByteBuffer, publisher: BrokerConnection?) -> EnqueueOutcome {
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
            s.outMsgs += 1
            s.outBytes += payload.readableBytes + (withHeaders ? headers?.readableBytes ?? 0 : 0)
            let pending = s.outbound.readableBytes + s.inFlight
            if pending > maxPending {
                s.closed = true
                s.outbound.clear()
                return .slowConsumer
            }
            var stall = false
            var arm = false
            if pending > stallMark, let publisher {
                if !s.stalled.contains(where: { $0 === publisher }) { s.stalled.append(publisher) }
                stall = true
                if s.overSince == nil {
                    s.overSince = .now()
                    arm = true
                }
            }
            let schedule = !s.flushScheduled
            s.flushScheduled = true
            return .delivered(scheduleFlush: schedule, reachedMax: reachedMax, stall: stall, armDeadline: arm)
        }
    }

    /// Queues a protocol reply (`PONG`, `+OK`, `-ERR`, `INFO`, `PING`).
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
    ///
    /// A closed connection has no task and needs no flush.
    func scheduleFlush() {
        if eventLoop.inEventLoop {
            flushNow()
        } else if let task = state.withLock({ $0.flushTask }) {
            eventLoop.execute(task.run)
        }
    }

    /// A closure that can go through generic code (`withLock`, `??`) as it is. A bare function
    /// value used as a generic type is passed at its most general abstraction and back, and each
    /// of the two reabstraction thunks is a heap allocation: per cross-loop flush, that was 1.3-1.6
    /// allocations per delivered message at low rates.
    struct FlushTask: Sendable {
        let run: @Sendable () -> Void
    }

    /// Hands the queued bytes to the channel in one write and flushes; while the channel is not
    /// writable and still holds earlier writes, keeps them queued (the handler calls again once it
    /// becomes writable). Own event loop only.
    ///
    /// With nothing of this connection's in the channel, the write usually goes out whole at once:
    /// then no promise is needed to learn when it is written, and its buffer, ours alone again,
    /// becomes the spare that the next flush's queue is swapped with. Only a write the socket did
    /// not take whole is followed by an empty write with a promise, completed (in order) when it
    /// is. So a flush allocates nothing in steady state; the queue is swapped, never cleared in
    /// place, because publishers on other event loops append to it under the lock.
    func flushNow() {
        let writable = channel.isWritable
        var alone = false
        let taken: ByteBuffer? = state.withLock { s in
            s.flushScheduled = false
            guard !s.closed, s.outbound.readableBytes > 0 else { return nil }
            if !writable && s.inFlight > 0 { return nil }
            let d = s.outbound
            if let spare = s.spare.take() {
                s.outbound = spare
            } else {
                s.outbound = channel.allocator.buffer(capacity: max(4096, min(d.readableBytes, 1 << 20)))
            }
            alone = s.inFlight == 0
            s.inFlight += d.capacity
            return d
        }
        // Moved out, not copied: a second reference would make the storage shared at `clear()`.
        guard var data = consume taken else { return }
        let held = data.capacity
        if alone {
            channel.writeAndFlush(data, promise: nil)
            if let buffered = try? channel.syncOptions?.getOption(.bufferedWritableBytes), buffered == 0 {
                data.clearAfterWrite(freshCapacity: 4096)
                written(held, spare: data)
                return
            }
            data = channel.allocator.buffer(capacity: 0)
        }
        let promise = eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in self.written(held) }
        channel.writeAndFlush(data, promise: promise)
    }

    /// A write of a buffer of `capacity` bytes finished: below the stall mark, the held-back
    /// publishers resume and the write deadline is off. `spare`: its buffer, to queue into next.
    private func written(_ capacity: Int, spare: ByteBuffer? = nil) {
        let resume: [BrokerConnection] = state.withLock { s in
            s.inFlight -= capacity
            if let spare, s.spare == nil, !s.closed { s.spare = spare }
            guard !s.stalled.isEmpty || s.overSince != nil else { return [] }
            guard s.outbound.readableBytes + s.inFlight <= stallMark else { return [] }
            s.overSince = nil
            defer { s.stalled.removeAll() }
            return s.stalled
        }
        for publisher in resume { publisher.resumeReading() }
    }

    /// Tells this connection's handler (on its own event loop) to read again after a stall.
    func resumeReading() {
        let channel = self.channel
        eventLoop.execute { channel.pipeline.fireUserInboundEventTriggered(BrokerResumeReading()) }
    }

    /// The write deadline's check, on the connection's own event loop `writeDeadline` after it went
    /// over the stall mark: still over it since then, it is cut off; otherwise checked again later.
    func checkWriteDeadline(core: BrokerCore) {
        let verdict: (cut: Bool, again: TimeAmount?) = state.withLock { s in
            guard !s.closed, let since = s.overSince else { return (false, nil) }
            let left = since + writeDeadline - .now()
            return left.nanoseconds <= 0 ? (true, nil) : (false, left)
        }
        if let again = verdict.again {
            eventLoop.scheduleTask(in: again) { self.checkWriteDeadline(core: core) }
        } else if verdict.cut {
            for sub in closeAndTakeSubscriptions() { core.trie.remove(sub) }
            state.withLock { $0.outbound.clear() }
            core.counters.slowConsumers.add(1, ordering: .relaxed)
            closeAsSlowConsumer()
        }
    }

    /// Sends what is queued plus `-ERR 'text'` (or nothing more when `text` is nil, as nats-server
    /// does for what it only logs), then closes; own event loop only. The connection accepts no
    /// deliveries from now on.
    func sendErrorAndClose(_ text: String?) {
        var data = state.withLock { s -> ByteBuffer in
            s.closed = true
            let d = s.outbound
            s.outbound.clear()
            return d
        }
        if let text { data.writeNATSErr(text) }
        channel.writeAndFlush(data).whenComplete { _ in self.channel.close(promise: nil) }
        releaseStalled()
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
        releaseStalled()
    }

    /// Resumes every publisher held back by this connection (it is going away).
    func releaseStalled() {
        let resume = state.withLock { s -> [BrokerConnection] in
            s.overSince = nil
            defer { s.stalled.removeAll() }
            return s.stalled
        }
        for publisher in resume { publisher.resumeReading() }
    }

    /// Marks the connection closed and returns its subscriptions, each marked removed.
    func closeAndTakeSubscriptions() -> [Subscription] {
        state.withLock { s in
            s.closed = true
            s.flushTask = nil
            let subs = Array(s.subscriptions.values)
            for sub in subs { sub.removed = true }
            s.subscriptions.removeAll()
            return subs
        }
    }
}

/// The event a stalled publisher's handler gets when the subscriber that held it back has drained.
struct BrokerResumeReading: Sendable {}

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
