import MeshWire
import NIOCore

/// Keeping other nodes' views of this node's subscriptions current: replicated interest (wildcard and
/// queue subscriptions) sent to every known node, and record changes pushed to the nodes caching a key.
extension MeshNodeCore {
    // MARK: replicated interest

    /// Sends a STORE of interest `key` to every known node; `waiter`'s PONGs wait for the acks.
    func replicate(_ key: String, waiter: MeshLocalClient?) {
        if deferUntilJoined(waiter, { [self] in if localInterest[key] != nil { replicate(key, waiter: waiter) } }) { return }
        let bytes = Array(key.utf8)
        let ttl = UInt32(min(Double(UInt32.max), options.recordTTL * 1000))
        let targets = table.contacts
        if let waiter { waiter.pendingStores += targets.count }
        for t in targets {
            counters.interestAnnounced += 1
            if MeshInterestTable.isWildcardKey(bytes) { counters.wildcardsAnnounced += 1 }
            request(t, { .store(rpc: $0, sender: $1, key: bytes, ttlMillis: ttl) }) { _ in waiter?.storeSettled() }
        }
    }

    /// Withdraws interest `key` from every known node.
    func unreplicate(_ key: String, waiter: MeshLocalClient?, done: (() -> Void)? = nil) {
        unstore(Array(key.utf8), at: table.contacts, waiter: waiter, done: done)
    }

    /// A node joined this node's routing table: it gets every interest key held here.
    func pushInterest(to contact: MeshContact) {
        guard !localInterest.isEmpty else { return }
        let ttl = UInt32(min(Double(UInt32.max), options.recordTTL * 1000))
        for key in localInterest.keys {
            let bytes = Array(key.utf8)
            counters.interestAnnounced += 1
            if MeshInterestTable.isWildcardKey(bytes) { counters.wildcardsAnnounced += 1 }
            request(contact, { .store(rpc: $0, sender: $1, key: bytes, ttlMillis: ttl) }) { _ in }
        }
    }

    // MARK: record changes

    /// `contact` looked `key` up here and may cache the answer: it hears of changes for `record-ttl`.
    func watch(_ key: [UInt8], by contact: MeshContact, now: UInt64) {
        guard contact.id != selfContact.id else { return }
        watchers[key, default: [:]][contact.id] = (contact, now &+ recordTTLNanos)
    }

    func expireWatchers(now: UInt64) {
        for (key, nodes) in watchers {
            let live = nodes.filter { $0.value.expires > now }
            watchers[key] = live.isEmpty ? nil : live
        }
    }

    /// The records under `key` gained or lost `contact`: tells this node's cache and every node that
    /// looked the key up, then calls `done` once they all answered (or failed).
    func pushChange(key: [UInt8], contact: MeshContact, added: Bool, done: @escaping () -> Void) {
        applyChange(key: key, contact: contact, added: added)
        let now = Self.now()
        let targets = (watchers[key] ?? [:]).values.filter { $0.expires > now && $0.contact.id != contact.id }.map(\.contact)
        guard !targets.isEmpty else { return done() }
        var left = targets.count
        for t in targets {
            counters.invalidationsSent += 1
            request(t, { .update(rpc: $0, sender: $1, key: key, contact: contact, added: added) }) { _ in
                left -= 1
                if left == 0 { done() }
            }
        }
    }

    /// A record change for `key` heard of: the cache entry and any lookup in flight follow it.
    func applyChange(key: [UInt8], contact: MeshContact, added: Bool) {
        let subject = ByteBuffer(bytes: key)
        if var entry = cache[subject] {
            Self.apply(contact, added: added, to: &entry.nodes)
            cache[subject] = entry
        }
        waiting[subject]?.changes.append((contact, added))
        refreshing[subject]?.changes.append((contact, added))
    }

    /// One contact per peer address, preferring the one in the routing table (a restarted node's old
    /// id may linger in records for a while); each dropped one counts as a duplicate suppressed.
    func dedup(_ nodes: [MeshContact]) -> [MeshContact] {
        var out: [MeshContact] = []
        for c in nodes {
            if let at = out.firstIndex(where: { $0.sameAddress(c) }) {
                counters.duplicatesSuppressed += 1
                if table.contains(id: c.id) && !table.contains(id: out[at].id) { out[at] = c }
            } else {
                out.append(c)
            }
        }
        return out
    }
}
