import NATSWire
import NIOCore
import Synchronization

/// Publishes one phase of `nats.pubsub` load on one connection, pipelined: whole batches of PUBs are
/// built in one buffer (template copy plus a 16-byte header patch per message), written and flushed
/// while the channel stays writable, and resumed from `channelWritabilityChanged`, so the socket is
/// kept full with at most the write-buffer high watermark (1 MiB) outstanding. Batch buffers are
/// reused once the channel has let go of them (see `takeBuffer`).
///
/// State is confined to the connection's event loop; `sentSoFar` may be read from anywhere.
final class NATSPublisherDriver: @unchecked Sendable {
    struct Phase {
        var number: UInt16
        var messages: Int
        var deadline: UInt64?
        var rate: Double?
    }

    let connection: NATSLoadConnection
    let index: UInt16
    /// One full wire message per subject (`PUB subject size\r\n` + payload + `\r\n`), header zeroed.
    private let templates: [[UInt8]]
    private let headerOffsets: [Int]
    private let messageSize: Int
    private let batchBytes = 64 << 10
    private let stampEveryMessage: Bool
    /// Messages sent in the current phase, for progress reports.
    let sentSoFar = Atomic<Int>(0)

    @exclusivity(unchecked) private var phase: Phase?
    @exclusivity(unchecked) private var sent = 0
    private var start: UInt64 = 0
    @exclusivity(unchecked) private var cursor = 0
    private var done: EventLoopPromise<Int>?
    private var retryScheduled = false
    /// Batch buffers written before, for reuse once the channel holds them no more; at most
    /// `maxPooledBuffers`, enough for the high watermark's worth of 64 KiB batches and the one being built.
    private var pool: [ByteBuffer] = []
    private let maxPooledBuffers = 24

    /// `replySubjects` (one per subject) makes every message a request: `PUB subject reply size`.
    init(connection: NATSLoadConnection, index: Int, subjects: [String], payloadSize: Int, stampEveryMessage: Bool,
         replySubjects: [String]? = nil) {
        self.connection = connection
        self.index = UInt16(truncatingIfNeeded: index)
        self.stampEveryMessage = stampEveryMessage
        var templates: [[UInt8]] = []
        var offsets: [Int] = []
        for (k, subject) in subjects.enumerated() {
            let reply = replySubjects.map { " " + $0[k] } ?? ""
            let line = Array("PUB \(subject)\(reply) \(payloadSize)\r\n".utf8)
            offsets.append(line.count)
            templates.append(line + [UInt8](repeating: UInt8(ascii: "x"), count: payloadSize) + [13, 10])
        }
        // Subjects of different lengths give messages of different sizes; batches use the largest.
        messageSize = templates.map(\.count).max() ?? 0
        self.templates = templates
        headerOffsets = offsets
    }

    /// Starts a phase on the event loop; the future gives the number of messages sent.
    func begin(_ phase: Phase) -> EventLoopFuture<Int> {
        let loop = connection.eventLoop
        loop.preconditionInEventLoop()
        let promise = loop.makePromise(of: Int.self)
        self.phase = phase
        sent = 0
        sentSoFar.store(0, ordering: .relaxed)
        cursor = Int(index) % max(1, templates.count)
        start = NATSClock.now()
        done = promise
        connection.handler.onWritable = { [self] in pump() }
        connection.handler.onFailure = { [self] in pump() }
        pump()
        return promise.futureResult
    }

    /// Ends the current phase now (call on the event loop); its future gives the messages sent so far.
    func end() {
        connection.eventLoop.preconditionInEventLoop()
        if phase != nil { finish() }
    }

    private func finish() {
        guard let done else { return }
        self.done = nil
        phase = nil
        pool.removeAll() // up to the high watermark's worth per publisher, not kept between phases
        done.succeed(sent)
    }

    private func pump() {
        guard let phase, done != nil else { return }
        if let failure = connection.handler.failure {
            let d = done
            done = nil
            d?.fail(failure)
            return
        }
        let channel = connection.channel
        let perBatch = max(1, batchBytes / messageSize)
        while channel.isWritable {
            let now = NATSClock.now()
            if let deadline = phase.deadline, now >= deadline { return finish() }
            var n = min(perBatch, phase.messages - sent)
            if n <= 0 { return finish() }
            if let rate = phase.rate {
                let due = Int(rate * Double(now &- start) / 1e9) + 1 - sent
                if due <= 0 {
                    scheduleRetry()
                    return
                }
                n = min(n, due)
            }
            var batch = takeBuffer(capacity: perBatch * messageSize)
            let first = sent
            batch.writeWithUnsafeMutableBytes(minimumWritableBytes: n * messageSize) { out in
                var offset = 0
                var stamp = now
                for k in 0..<n {
                    let t = templates[cursor]
                    let seq = first + k
                    if let rate = phase.rate {
                        stamp = start &+ UInt64(Double(seq) / rate * 1e9) // intended send time
                    } else if stampEveryMessage && k > 0 {
                        stamp = NATSClock.now()
                    }
                    t.withUnsafeBytes { src in
                        let dst = out.baseAddress! + offset
                        dst.copyMemory(from: src.baseAddress!, byteCount: src.count)
                        NATSPayloadHeader(timestamp: stamp, sequence: UInt32(truncatingIfNeeded: seq),
                                          publisher: index, phase: phase.number).store(to: dst + headerOffsets[cursor])
                        offset += src.count
                    }
                    cursor += 1
                    if cursor == templates.count { cursor = 0 }
                }
                return offset
            }
            sent += n
            sentSoFar.store(sent, ordering: .relaxed)
            channel.writeAndFlush(batch, promise: nil)
            if pool.count < maxPooledBuffers { pool.append(batch) }
        }
    }

    /// A cleared buffer of the pool that the channel has finished writing (the pool's copy is the
    /// only reference left), moved out so that filling it copies nothing; else a new one. A new
    /// 64 KiB buffer per batch cost the publisher's thread about a third of its time at 1024-byte
    /// payloads: the allocator gave fresh pages (page faults, zeroing) and trimmed them again (madvise).
    private func takeBuffer(capacity: Int) -> ByteBuffer {
        for i in pool.indices where pool[i].capacity >= capacity {
            if pool[i].modifyIfUniquelyOwned({ $0.clear() }) != nil {
                pool.swapAt(i, pool.count - 1)
                return pool.removeLast()
            }
        }
        return connection.channel.allocator.buffer(capacity: capacity)
    }

    private func scheduleRetry() {
        guard !retryScheduled else { return }
        retryScheduled = true
        connection.eventLoop.scheduleTask(in: .microseconds(500)) { [self] in
            retryScheduled = false
            pump()
        }
    }
}
