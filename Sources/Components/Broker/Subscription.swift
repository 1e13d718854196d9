/// One `SUB` of one connection. The mutable delivery state is guarded by the owning connection's lock,
/// so Swift's dynamic exclusivity check on each access (a thread-local access-set lookup, ~10% of the
/// publisher's event loop in a fan-out profile) is switched off for it.
final class Subscription: @unchecked Sendable {
    let connection: BrokerConnection
    let subject: String
    let queue: String?
    let sid: [UInt8]
    /// Auto-unsubscribe after this many deliveries (0 = no limit). Guarded by `connection`'s lock.
    @exclusivity(unchecked) var maxMessages = 0
    /// Messages delivered so far. Guarded by `connection`'s lock.
    @exclusivity(unchecked) var delivered = 0
    /// Set once the subscription left the trie. Guarded by `connection`'s lock.
    @exclusivity(unchecked) var removed = false

    init(connection: BrokerConnection, subject: String, queue: String?, sid: [UInt8]) {
        self.connection = connection
        self.subject = subject
        self.queue = queue
        self.sid = sid
    }
}

/// The subscriptions matching one literal subject: every plain subscription gets the message, and one
/// member of each queue group.
final class MatchResult: @unchecked Sendable {
    let plain: [Subscription]
    let queueGroups: [[Subscription]]

    init(plain: [Subscription], queueGroups: [[Subscription]]) {
        self.plain = plain
        self.queueGroups = queueGroups
    }

    var isEmpty: Bool { plain.isEmpty && queueGroups.isEmpty }

    static let empty = MatchResult(plain: [], queueGroups: [])
}
