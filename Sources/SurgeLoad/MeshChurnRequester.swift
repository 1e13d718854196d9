import NIOCore

/// The reply side of a `mesh.churn` publisher whose messages are requests (some subscribers are
/// responders): subscribes to its inbox `_INBOX.churn.<n>.*` (one wildcard, as nats-py and nats.go
/// multiplex their requests) and counts each reply by responder and request sequence number, so the
/// session can check that every reply a responder sent arrived exactly once.
/// State is confined to the connection's event loop.
final class MeshChurnRequester: @unchecked Sendable {
    struct Report: Sendable {
        /// Distinct replies of this phase, per responder index.
        var received: [Int: Int]
        var duplicates: Int
        var roundTrip: [UInt64]
    }

    let connection: NATSLoadConnection
    /// The publisher index this requester's requests carry in their header.
    let publisher: Int
    private var phase: UInt16 = 0
    private var seen: [Int: NATSSequenceSet] = [:]
    private var duplicates = 0
    private var roundTrip: [UInt64] = []

    init(connection: NATSLoadConnection, publisher: Int) {
        self.connection = connection
        self.publisher = publisher
    }

    /// The inbox prefix of publisher `index` (0-based); request `k` of subject `s` replies to `<prefix>.<s>`.
    static func inbox(publisher index: Int) -> String { "_INBOX.churn.\(index + 1)" }

    /// The reply subject of each subject, by subject index.
    static func replySubjects(publisher index: Int, subjects: Int) -> [String] {
        (0..<subjects).map { "\(inbox(publisher: index)).\($0)" }
    }

    func attach() {
        connection.handler.onMessage = { [self] _, _, _, payload in receive(payload) }
    }

    func reset(phase: UInt16) {
        self.phase = phase
        seen.removeAll()
        duplicates = 0
        roundTrip.removeAll()
    }

    func report() -> Report {
        Report(received: seen.mapValues(\.count), duplicates: duplicates, roundTrip: roundTrip)
    }

    private func receive(_ payload: ByteBuffer) {
        guard payload.readableBytes >= NATSPayloadHeader.size + 2, let h = NATSPayloadHeader(payload),
              h.phase == phase, Int(h.publisher) == publisher,
              let responder = payload.getInteger(at: payload.readerIndex + NATSPayloadHeader.size, as: UInt16.self)
        else { return }
        if seen[Int(responder), default: NATSSequenceSet()].insert(h.sequence) {
            let now = NATSClock.now()
            if now > h.timestamp { roundTrip.append(now - h.timestamp) }
        } else {
            duplicates += 1
        }
    }
}
