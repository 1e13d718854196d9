import MeshWire
import NATSWire
import NIOCore

/// The subscriptions every node replicates to every node it knows, as a nats-server cluster's routes
/// replicate interest: wildcard subscriptions (`orders.*`, `_INBOX.abc.*`) and queue subscriptions,
/// whose subjects a DHT key cannot name or whose members must be chosen from once per group.
/// Literal non-queue subscriptions live in the DHT instead.
///
/// An entry is keyed by its interest key, `pattern` or `pattern queue` (a space never occurs in a
/// subject), and the announcing node; it lives until withdrawn or until its time to live runs out
/// (the owner re-announces at half the record TTL, like DHT records).
struct MeshInterestTable {
    struct Entry {
        var pattern: String
        var queue: String?
        var contact: MeshContact
        var expires: UInt64
    }

    /// What the remote nodes want of one subject.
    struct Match {
        /// Nodes with non-queue subscribers matching the subject.
        var plain: [MeshContact] = []
        /// Queue group → the nodes with members matching the subject.
        var groups: [String: [MeshContact]] = [:]
        /// The group names, sorted, and each as a forward's groups field (built once per subject).
        var groupNames: [String] = []
        var groupBuffers: [String: ByteBuffer] = [:]
    }

    private var entries: [String: [UInt64: Entry]] = [:]
    private var matches: [String: Match] = [:]

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.values.reduce(0) { $0 + $1.count } }

    /// True when `key` names replicated interest (a wildcard pattern or a queue subscription).
    static func isInterestKey<C: Collection>(_ key: C) -> Bool where C.Element == UInt8 {
        key.contains(UInt8(ascii: " ")) || NATSSubject.hasWildcard(key)
    }

    /// True when interest `key` is a wildcard pattern (with or without a queue group).
    static func isWildcardKey(_ key: [UInt8]) -> Bool {
        NATSSubject.hasWildcard(key.split(separator: UInt8(ascii: " "), maxSplits: 1).first ?? [])
    }

    /// The key a subscription is replicated under.
    static func key(subject: String, queue: String?) -> String { queue.map { subject + " " + $0 } ?? subject }

    /// Adds or refreshes an entry; returns true when it is new. Entries of another node id at the same
    /// address (a restarted node) are dropped; `replaced` counts them.
    mutating func add(key: String, contact: MeshContact, ttlNanos: UInt64, now: UInt64, replaced: inout Int) -> Bool {
        let parts = key.split(separator: " ", maxSplits: 1)
        let entry = Entry(pattern: String(parts.first ?? ""), queue: parts.count > 1 ? String(parts[1]) : nil,
                          contact: contact, expires: now &+ ttlNanos)
        var nodes = entries[key] ?? [:]
        let isNew = nodes[contact.id] == nil
        for (id, e) in nodes where id != contact.id && e.contact.host == contact.host && e.contact.port == contact.port {
            nodes[id] = nil
            replaced += 1
        }
        nodes[contact.id] = entry
        entries[key] = nodes
        if isNew { matches.removeAll(keepingCapacity: true) }
        return isNew
    }

    /// Removes one node's entry; returns true when there was one.
    @discardableResult
    mutating func remove(key: String, id: UInt64) -> Bool {
        guard entries[key]?.removeValue(forKey: id) != nil else { return false }
        if entries[key]?.isEmpty == true { entries[key] = nil }
        matches.removeAll(keepingCapacity: true)
        return true
    }

    /// Drops every entry of node `id` (it left or is unreachable).
    mutating func removeNode(_ id: UInt64) {
        for key in Array(entries.keys) { remove(key: key, id: id) }
    }

    mutating func expire(now: UInt64) {
        for (key, nodes) in entries {
            for (id, e) in nodes where e.expires <= now { remove(key: key, id: id) }
        }
    }

    /// The remote interest in `subject`, memoised until the table changes.
    mutating func match(_ subject: String) -> Match {
        if let m = matches[subject] { return m }
        var m = Match()
        for nodes in entries.values {
            for e in nodes.values where NATSSubject.matches(pattern: e.pattern, subject: subject) {
                if let q = e.queue {
                    if !(m.groups[q]?.contains(where: { $0.id == e.contact.id }) ?? false) {
                        m.groups[q, default: []].append(e.contact)
                    }
                } else if !m.plain.contains(where: { $0.id == e.contact.id }) {
                    m.plain.append(e.contact)
                }
            }
        }
        m.plain.sort { $0.id < $1.id }
        for q in m.groups.keys {
            m.groups[q]?.sort { $0.id < $1.id }
            m.groupBuffers[q] = ByteBuffer(string: q)
        }
        m.groupNames = m.groups.keys.sorted()
        if matches.count > 4096 { matches.removeAll(keepingCapacity: true) }
        matches[subject] = m
        return m
    }
}
