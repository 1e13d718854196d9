import Histogram
import NATSWire
import NIOCore
import Synchronization

/// One closed-loop `nats.request` client: publishes a request with its own inbox as the reply subject,
/// waits for the reply, records the round trip, sends the next. State is confined to its event loop.
final class NATSRequesterDriver: @unchecked Sendable {
    struct Phase {
        var number: UInt16
        var requests: Int
        var deadline: UInt64?
        var replyTimeout: UInt64
    }

    struct Report: Sendable {
        var sent: Int
        var answered: Int
        var latency: Histogram<UInt64>
        var failures: [String]
        var end: UInt64
    }

    let connection: NATSLoadConnection
    let index: Int
    let inbox: String
    private let template: [UInt8]
    private let headerOffset: Int
    let answeredSoFar = Atomic<Int>(0)

    private var phase: Phase?
    private var sent = 0
    private var answered = 0
    private var sentAt: UInt64 = 0
    private var latency = WorkloadOutcome.makeLatencyHistogram()
    private var failures: [String] = []
    private var done: EventLoopPromise<Report>?
    private var watchdog: RepeatedTask?

    init(connection: NATSLoadConnection, index: Int, subject: String, inbox: String, payloadSize: Int) {
        self.connection = connection
        self.index = index
        self.inbox = inbox
        let line = Array("PUB \(subject) \(inbox) \(payloadSize)\r\n".utf8)
        headerOffset = line.count
        template = line + [UInt8](repeating: UInt8(ascii: "x"), count: payloadSize) + [13, 10]
    }

    func attach() {
        connection.handler.onMessage = { [self] _, _, _, payload in receive(payload) }
    }

    func begin(_ phase: Phase) -> EventLoopFuture<Report> {
        let loop = connection.eventLoop
        let promise = loop.makePromise(of: Report.self)
        self.phase = phase
        sent = 0
        answered = 0
        answeredSoFar.store(0, ordering: .relaxed)
        latency.reset()
        failures = []
        done = promise
        watchdog = loop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { [self] _ in check() }
        sendNext()
        return promise.futureResult
    }

    private func sendNext() {
        guard let phase else { return }
        if sent >= phase.requests { return finish() }
        let now = NATSClock.now()
        if let deadline = phase.deadline, now >= deadline { return finish() }
        var b = connection.channel.allocator.buffer(capacity: template.count)
        b.writeWithUnsafeMutableBytes(minimumWritableBytes: template.count) { out in
            template.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            NATSPayloadHeader(timestamp: now, sequence: UInt32(truncatingIfNeeded: sent), publisher: UInt16(truncatingIfNeeded: index),
                              phase: phase.number).store(to: out.baseAddress! + headerOffset)
            return template.count
        }
        sentAt = now
        sent += 1
        connection.channel.writeAndFlush(b, promise: nil)
    }

    private func receive(_ payload: ByteBuffer) {
        let now = NATSClock.now()
        guard let phase, let h = NATSPayloadHeader(payload), h.phase == phase.number else { return }
        guard Int(h.sequence) == sent - 1 && Int(h.publisher) == index else {
            failures.append("client \(index + 1): reply for request \(h.sequence) of client \(Int(h.publisher) + 1) arrived while waiting for request \(sent - 1)")
            return finish()
        }
        answered += 1
        answeredSoFar.store(answered, ordering: .relaxed)
        _ = latency.record(now &- sentAt)
        sendNext()
    }

    private func check() {
        guard let phase, done != nil else { return }
        if let failure = connection.handler.failure {
            failures.append(failure.description)
            return finish()
        }
        if sent > answered && NATSClock.now() &- sentAt > phase.replyTimeout {
            failures.append("client \(index + 1): request \(sent - 1) got no reply within \(phase.replyTimeout / 1_000_000_000)s")
            finish()
        }
    }

    private func finish() {
        watchdog?.cancel()
        watchdog = nil
        guard let done else { return }
        self.done = nil
        phase = nil
        done.succeed(Report(sent: sent, answered: answered, latency: latency, failures: failures, end: NATSClock.now()))
    }
}

/// A `nats.request` responder: member of the queue group, echoes each request's payload to its
/// reply subject; replies are flushed once per read batch.
final class NATSResponderDriver: @unchecked Sendable {
    let connection: NATSLoadConnection
    private var pending: ByteBuffer
    private(set) var answered = 0

    init(connection: NATSLoadConnection) {
        self.connection = connection
        pending = connection.channel.allocator.buffer(capacity: 4096)
    }

    func attach() {
        let handler = connection.handler
        handler.onMessage = { [self] _, _, reply, payload in
            guard let reply else { return }
            pending.writeNATSPub(subject: reply.readableBytesView, payload: payload)
            answered += 1
        }
        handler.onReadComplete = { [self] in
            guard pending.readableBytes > 0 else { return }
            connection.channel.writeAndFlush(pending, promise: nil)
            pending = connection.channel.allocator.buffer(capacity: 4096)
        }
    }
}
