import Histogram
import NIOCore

/// One churning subscriber of `mesh.churn`: counts, per subscription period ("tenure"), publisher
/// and subject, which sequence numbers arrived, and when the first delivery of each tenure came.
/// A responder also answers every message that has a reply subject, with the request's 16-byte header
/// and its own index (2 bytes, big-endian), and counts its answers of this phase per publisher.
/// State is confined to the connection's event loop.
final class MeshChurnSubscriber: @unchecked Sendable {
    struct Tally {
        var first = UInt32.max
        var last: UInt32 = 0
        var seen = NATSSequenceSet()
    }

    struct Report: Sendable {
        var delivered: Int
        var lost: Int
        var duplicates: Int
        var tenures: Int
        var discoveries: [UInt64]
        var undiscovered: Int
        var lossDetail: [String]
        var latency: Histogram<UInt64>
        /// Replies sent to requests of this phase, per publisher (responders only).
        var answered: [Int] = []
    }

    let connection: NATSLoadConnection
    let index: Int
    let responder: Bool
    private let publishers: Int
    private let subjects: Int
    private var phase: UInt16 = 0
    private var subscribed = false
    private var subscribedAt: UInt64 = 0
    private var firstDelivery: UInt64 = 0
    /// Messages sent at or after this time are checked for loss (SUB acknowledged + settle).
    private var checkFrom = UInt64.max
    private var tallies: [Tally] = []
    private var report = Report(delivered: 0, lost: 0, duplicates: 0, tenures: 0, discoveries: [], undiscovered: 0, lossDetail: [],
                                latency: WorkloadOutcome.makeLatencyHistogram())

    private var replies: ByteBuffer?

    init(connection: NATSLoadConnection, index: Int, publishers: Int, subjects: Int, responder: Bool = false) {
        self.connection = connection
        self.index = index
        self.publishers = publishers
        self.subjects = subjects
        self.responder = responder
    }

    func attach() {
        connection.handler.onMessage = { [self] _, _, reply, payload in
            receive(payload)
            if responder, let reply { answer(reply: reply, payload) }
        }
        if responder {
            // The replies of one read batch go out in one write.
            connection.handler.onReadComplete = { [self] in
                guard let out = replies else { return }
                replies = nil
                connection.channel.writeAndFlush(out, promise: nil)
            }
        }
    }

    func reset(phase: UInt16) {
        self.phase = phase
        subscribed = false
        report = Report(delivered: 0, lost: 0, duplicates: 0, tenures: 0, discoveries: [], undiscovered: 0, lossDetail: [],
                        latency: WorkloadOutcome.makeLatencyHistogram(),
                        answered: Array(repeating: 0, count: publishers))
    }

    /// Marks the start of a tenure; call right before the SUBs are written.
    func began() {
        subscribed = true
        subscribedAt = NATSClock.now()
        firstDelivery = 0
        checkFrom = UInt64.max
        tallies = Array(repeating: Tally(), count: publishers * subjects)
    }

    /// The node acknowledged the SUBs (its PONG: they are stored in the DHT); messages sent from
    /// `settle` nanoseconds later on must all arrive.
    func acknowledged(settle: UInt64) {
        if subscribed { checkFrom = NATSClock.now() &+ settle }
    }

    /// Closes the tenure (right before the UNSUBs are written) and tallies its losses.
    func ended() {
        guard subscribed else { return }
        subscribed = false
        report.tenures += 1
        if firstDelivery > 0 { report.discoveries.append(firstDelivery &- subscribedAt) } else { report.undiscovered += 1 }
        for (i, t) in tallies.enumerated() where t.first != UInt32.max {
            let p = i / subjects, s = i % subjects
            // Sequence k of publisher p goes to subject (p + k) mod subjects.
            var expected = 0
            var k = t.first
            while k <= t.last {
                if (Int(k) + p) % subjects == s { expected += 1 }
                k += 1
            }
            let lost = expected - t.seen.count
            if lost > 0 {
                report.lost += lost
                if report.lossDetail.count < 5 {
                    report.lossDetail.append("tenure \(report.tenures), publisher \(p + 1), subject \(s): \(lost) of \(expected) between seq \(t.first) and \(t.last)")
                }
            }
        }
    }

    func finalReport() -> Report { report }

    /// Replies to a request as a NATS responder does, whether or not this tenure counts it: the
    /// requester must get exactly the replies sent.
    private func answer(reply: ByteBuffer, _ payload: ByteBuffer) {
        guard payload.readableBytes >= NATSPayloadHeader.size else { return }
        var out = replies ?? connection.channel.allocator.buffer(capacity: 4096)
        var body = payload.getSlice(at: payload.readerIndex, length: NATSPayloadHeader.size) ?? ByteBuffer()
        body.writeInteger(UInt16(truncatingIfNeeded: index))
        out.writeNATSPub(subject: reply.readableBytesView, payload: body)
        replies = out
        if let h = NATSPayloadHeader(payload), h.phase == phase, Int(h.publisher) < publishers {
            report.answered[Int(h.publisher)] += 1
        }
    }

    private func receive(_ payload: ByteBuffer) {
        let now = NATSClock.now()
        guard subscribed, let h = NATSPayloadHeader(payload), h.phase == phase, Int(h.publisher) < publishers else { return }
        let slot = Int(h.publisher) * subjects + (Int(h.sequence) + Int(h.publisher)) % subjects
        if firstDelivery == 0 { firstDelivery = now }
        report.delivered += 1
        if now > h.timestamp { _ = report.latency.record(now - h.timestamp) }
        guard h.timestamp >= checkFrom else { return } // still within the discovery allowance
        if tallies[slot].seen.insert(h.sequence) {
            tallies[slot].first = min(tallies[slot].first, h.sequence)
            tallies[slot].last = max(tallies[slot].last, h.sequence)
        } else {
            report.duplicates += 1
        }
    }
}
