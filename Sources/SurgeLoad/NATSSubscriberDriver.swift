import Histogram
import NIOCore

/// Receives one subscriber's share of `nats.pubsub` load: counts every (publisher, sequence) once,
/// spots duplicates, and records publisher→subscriber latency from the payload's send time.
/// State is confined to the connection's event loop.
final class NATSSubscriberDriver: @unchecked Sendable {
    struct Report: Sendable {
        var distinct: [Int]
        var duplicates: Int
        var malformed: Int
        var lastReceive: UInt64
        var latency: Histogram<UInt64>
        /// Why the connection failed, if it did.
        var failure: String?
    }

    let connection: NATSLoadConnection
    let index: Int
    @exclusivity(unchecked) private var phase: UInt16 = 0
    @exclusivity(unchecked) private var seen: [NATSSequenceSet]
    @exclusivity(unchecked) private var distinctTotal = 0
    @exclusivity(unchecked) private var duplicates = 0
    private var malformed = 0
    @exclusivity(unchecked) private var lastReceive: UInt64 = 0
    @exclusivity(unchecked) private var latency = WorkloadOutcome.makeLatencyHistogram()
    @exclusivity(unchecked) private var expected = Int.max
    @exclusivity(unchecked) private var allReceived: EventLoopPromise<Void>?

    init(connection: NATSLoadConnection, index: Int, publishers: Int) {
        self.connection = connection
        self.index = index
        seen = Array(repeating: NATSSequenceSet(), count: publishers)
    }

    /// Installs the message callback; call once on the event loop.
    func attach() {
        connection.handler.onMessage = { [self] _, _, _, payload in receive(payload) }
        connection.handler.onFailure = { [self] in
            // Nothing more will arrive: stop waiting, the report tells what is missing.
            if let promise = allReceived {
                allReceived = nil
                promise.succeed()
            }
        }
    }

    /// Forgets the previous phase; messages of other phases are ignored from now on.
    func reset(phase: UInt16) {
        self.phase = phase
        for i in seen.indices { seen[i].removeAll() }
        distinctTotal = 0
        duplicates = 0
        malformed = 0
        lastReceive = 0
        latency.reset()
        expected = Int.max
        allReceived = nil
    }

    /// Completes once `total` distinct messages arrived, or after `timeout` (the report tells the loss).
    func waitFor(total: Int, timeout: TimeAmount) -> EventLoopFuture<Void> {
        let loop = connection.eventLoop
        if distinctTotal >= total || connection.handler.failure != nil { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        expected = total
        allReceived = promise
        let timer = loop.scheduleTask(in: timeout) { [self] in
            allReceived = nil
            promise.succeed()
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    func report() -> Report {
        Report(distinct: seen.map(\.count), duplicates: duplicates, malformed: malformed, lastReceive: lastReceive, latency: latency,
               failure: connection.handler.failure?.description)
    }

    @inline(__always)
    private func receive(_ payload: ByteBuffer) {
        let now = NATSClock.now()
        guard let h = NATSPayloadHeader(payload), Int(h.publisher) < seen.count else {
            malformed += 1
            return
        }
        guard h.phase == phase else { return } // late message of an earlier phase
        lastReceive = now
        if seen[Int(h.publisher)].insert(h.sequence) {
            distinctTotal += 1
            if now > h.timestamp { _ = latency.record(now - h.timestamp) }
            if distinctTotal >= expected, let promise = allReceived {
                allReceived = nil
                promise.succeed()
            }
        } else {
            duplicates += 1
        }
    }
}
