import ComponentKit
import MeshWire
import NATSWire
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Everything one node knows, confined to its single event loop (all of the node's channels live
/// on it, so no state needs a lock): its routing table and DHT records, its local subscriptions, the
/// interest other nodes replicated to it, the discovery cache, the links to peers, and the counters.
///
/// Literal non-queue subscriptions are announced in the DHT (STORE under the subject); wildcard and
/// queue subscriptions are replicated to every known node (`MeshInterestTable`). A publish is delivered
/// to local subscribers at once, then forwarded to the subscriber nodes of its subject: from the
/// discovery cache when the entry is fresh, else after a DHT lookup (FIND_VALUE), with the messages
/// waiting for that lookup in order behind it; plus the nodes whose replicated interest matches.
/// A node holding records pushes each change (`update`) to the nodes that looked the key up, before it
/// acknowledges the STORE or UNSTORE, so a subscriber's PING after SUB or UNSUB is answered only once
/// the publishers' caches know.
final class MeshNodeCore: @unchecked Sendable {
    struct CacheEntry {
        var nodes: [MeshContact]
        var fetchedAt: UInt64
        var lookupAt: UInt64
    }

    /// Messages waiting for the discovery of their subject's subscriber nodes.
    final class PendingDiscovery {
        let subject: ByteBuffer
        var messages: [MeshOutgoing] = []
        /// Changes pushed while the lookup ran, applied to its answer.
        var changes: [(contact: MeshContact, added: Bool)] = []
        /// With `discovery-cache-ttl` 0: the messages published while this lookup ran, for the lookup
        /// that starts when this one ends (an answer is only used for messages published before it began).
        var next: PendingDiscovery?
        init(subject: ByteBuffer) { self.subject = subject }
    }

    let options: MeshNodeOptions
    let loop: EventLoop
    var selfContact: MeshContact
    var table: KademliaRoutingTable
    var store = MeshRecordStore()
    var interest = MeshInterestTable()
    var backoff = MeshPeerBackoff()
    var counters = MeshCounters()
    var links: [UInt64: MeshPeerLink] = [:]
    var oneShotLinks = 0
    var outboxes: [UInt64: MeshPeerOutbox] = [:]
    var entryContact: MeshContact?
    var literalSubs: [ByteBuffer: [MeshLocalSubscription]] = [:]
    var wildcardSubs: [MeshLocalSubscription] = []
    /// Local non-queue subscriptions per literal subject (announced in the DHT while above zero).
    var plainCount: [ByteBuffer: Int] = [:]
    /// Local subscriptions per replicated interest key (`pattern` or `pattern queue`).
    var localInterest: [String: Int] = [:]
    var localQueueSubs = 0
    /// Topics this node announced, with the nodes their STOREs went to.
    var announced: [ByteBuffer: [MeshContact]] = [:]
    /// Nodes that looked a key up here (and may cache it), until `record-ttl` after their last lookup.
    var watchers: [[UInt8]: [UInt64: (contact: MeshContact, expires: UInt64)]] = [:]
    var cache: [ByteBuffer: CacheEntry] = [:]
    var waiting: [ByteBuffer: PendingDiscovery] = [:]
    /// Subjects whose expired cache entry is being refreshed while it keeps serving (`serve-stale`).
    var refreshing: [ByteBuffer: PendingDiscovery] = [:]
    var pendingMessages = 0
    var clients: [ObjectIdentifier: MeshLocalClient] = [:]
    var touched: [MeshLocalClient] = []
    var paused: [Channel] = []
    var nextRPCNumber: UInt32 = 0
    var timers: [RepeatedTask] = []
    var stopped = false
    /// False while the first join through `bootstrap` runs; announcements wait in `afterJoin`.
    var joined: Bool
    var afterJoin: [() -> Void] = []
    /// Set while `shutdown` waits for its withdrawals.
    var shutdownDone: (() -> Void)?
    var roundRobin = 0
    let ttlNanos: UInt64
    let intervalNanos: UInt64
    let recordTTLNanos: UInt64
    /// Busy-wait per forwarded message (`handicap-ns`).
    let handicap: Handicap
    /// Past this many messages waiting for discovery, local clients stop being read.
    let maxPendingMessages = 20_000
    /// Past this many cache entries (unique subjects such as reply inboxes), expired ones are dropped.
    let maxCacheEntries = 65_536

    init(options: MeshNodeOptions, loop: EventLoop) {
        self.options = options
        self.loop = loop
        let id = options.nodeID ?? UInt64.random(in: 1...UInt64.max)
        selfContact = MeshContact(id: id, host: options.host, port: 0)
        table = KademliaRoutingTable(selfID: id, k: options.bucketSize)
        ttlNanos = UInt64(options.discoveryCacheTTL * 1e9)
        intervalNanos = UInt64(options.minDiscoveryInterval * 1e9)
        recordTTLNanos = UInt64(options.recordTTL * 1e9)
        handicap = Handicap(nanoseconds: options.handicapNanoseconds)
        joined = options.bootstrap.isEmpty
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    func makeRPC() -> UInt32 {
        nextRPCNumber &+= 1
        if nextRPCNumber == 0 { nextRPCNumber = 1 }
        return nextRPCNumber
    }

    // MARK: local clients

    func clientOpened(_ client: MeshLocalClient) { clients[ObjectIdentifier(client)] = client }

    func clientClosed(_ client: MeshLocalClient) {
        client.closed = true
        clients[ObjectIdentifier(client)] = nil
        for sub in client.subscriptions.values { removeSubscription(sub, waiter: nil) }
        client.subscriptions.removeAll()
        paused.removeAll { $0 === client.channel }
    }

    func touch(_ client: MeshLocalClient) {
        if !client.touched {
            client.touched = true
            touched.append(client)
        }
    }

    func flushTouched() {
        if touched.isEmpty { return }
        for c in touched { c.flush() }
        touched.removeAll(keepingCapacity: true)
    }

    /// Adds a subscription; the first of a literal subject is announced in the DHT, the first of a
    /// wildcard pattern or queue group replicated to every known node. The client's next PONG waits for both.
    func subscribe(_ client: MeshLocalClient, subject: ByteBuffer, queue: ByteBuffer?, sid: ByteBuffer) -> Bool {
        guard NATSSubject.isValidSubscribe(subject.readableBytesView) else { return false }
        let sidKey = ByteBuffer(bytes: sid.readableBytesView)
        if client.subscriptions[sidKey] != nil { return true }
        let wildcard = NATSSubject.hasWildcard(subject.readableBytesView)
        let topic = ByteBuffer(bytes: subject.readableBytesView)
        let sub = MeshLocalSubscription(client: client, subject: topic, sid: sidKey, queue: queue.map { String(buffer: $0) },
                                        isWildcard: wildcard)
        client.subscriptions[sidKey] = sub
        if wildcard { wildcardSubs.append(sub) } else { literalSubs[topic, default: []].append(sub) }
        if sub.queue != nil { localQueueSubs += 1 }
        if wildcard || sub.queue != nil {
            let key = MeshInterestTable.key(subject: sub.subjectText, queue: sub.queue)
            localInterest[key, default: 0] += 1
            if localInterest[key] == 1 { replicate(key, waiter: client) }
        } else {
            plainCount[topic, default: 0] += 1
            if plainCount[topic] == 1 { announce(topic, waiter: client) }
        }
        return true
    }

    func unsubscribe(_ client: MeshLocalClient, sid: ByteBuffer, max: Int?) {
        guard let sub = client.subscriptions[sid] else { return }
        if let max, max > 0, sub.delivered < max {
            sub.maxMessages = max
            return
        }
        client.subscriptions[sid] = nil
        removeSubscription(sub, waiter: client)
    }

    /// Removes a subscription; the last of its subject or interest key is withdrawn from the mesh.
    func removeSubscription(_ sub: MeshLocalSubscription, waiter: MeshLocalClient?) {
        if sub.isWildcard {
            guard let at = wildcardSubs.firstIndex(where: { $0 === sub }) else { return }
            wildcardSubs.remove(at: at)
        } else {
            guard var list = literalSubs[sub.subject], let at = list.firstIndex(where: { $0 === sub }) else { return }
            list.remove(at: at)
            literalSubs[sub.subject] = list.isEmpty ? nil : list
        }
        if sub.queue != nil { localQueueSubs -= 1 }
        if sub.isWildcard || sub.queue != nil {
            let key = MeshInterestTable.key(subject: sub.subjectText, queue: sub.queue)
            localInterest[key, default: 1] -= 1
            if localInterest[key] == 0 {
                localInterest[key] = nil
                unreplicate(key, waiter: waiter)
            }
        } else {
            plainCount[sub.subject, default: 1] -= 1
            if plainCount[sub.subject] == 0 {
                plainCount[sub.subject] = nil
                withdraw(sub.subject, waiter: waiter)
            }
        }
    }

    // MARK: delivering

    /// Delivers to this node's subscribers: the non-queue ones when `plain`, and one member of each
    /// queue group named in `groups` (none when nil).
    /// Returns how many got the message.
    @discardableResult
    func deliverLocally(_ m: MeshOutgoing, publisher: MeshLocalClient?, plain: Bool, groups: Set<Substring>?) -> Int {
        var n = 0
        var members: [String: [MeshLocalSubscription]]?
        func offer(_ sub: MeshLocalSubscription) {
            if let q = sub.queue {
                guard let groups, groups.contains(Substring(q)) else { return }
                members = members ?? [:]
                members?[q, default: []].append(sub)
            } else if plain && deliver(sub, m, publisher: publisher) {
                n += 1
            }
        }
        if let list = literalSubs[m.subject] { for sub in list { offer(sub) } }
        if !wildcardSubs.isEmpty {
            let text = String(buffer: m.subject)
            for sub in wildcardSubs where NATSSubject.matches(pattern: sub.subjectText, subject: text) { offer(sub) }
        }
        if let members {
            for (_, list) in members.sorted(by: { $0.key < $1.key }) {
                roundRobin &+= 1
                if deliver(list[roundRobin % list.count], m, publisher: publisher) { n += 1 }
            }
        }
        counters.msgsDelivered += n
        return n
    }

    /// Queue groups with members on this node whose subscriptions match `subject`.
    func localGroups(_ subject: ByteBuffer, text: String) -> Set<String> {
        var out: Set<String> = []
        if let list = literalSubs[subject] { for sub in list { if let q = sub.queue { out.insert(q) } } }
        for sub in wildcardSubs where sub.queue != nil && NATSSubject.matches(pattern: sub.subjectText, subject: text) {
            out.insert(sub.queue ?? "")
        }
        return out
    }

    @inline(__always)
    private func deliver(_ sub: MeshLocalSubscription, _ m: MeshOutgoing, publisher: MeshLocalClient?) -> Bool {
        let client = sub.client
        if client.closed || (publisher === client && !client.echo) { return false }
        client.writeMsg(subject: m.subject, sid: sub.sid, reply: m.reply, headers: m.headers, payload: m.payload)
        touch(client)
        sub.delivered += 1
        if sub.maxMessages > 0 && sub.delivered >= sub.maxMessages {
            client.subscriptions[sub.sid] = nil
            removeSubscription(sub, waiter: nil)
        }
        return true
    }

    /// Messages arrived from a peer for this node's subscribers.
    func receiveForward(_ messages: MeshForwardedMessages) {
        for f in messages {
            counters.forwardsReceived += 1
            let m = MeshOutgoing(subject: f.subject, reply: f.reply, headers: f.headers, payload: f.payload)
            let groups = f.groups.map { Set(String(buffer: $0).split(separator: " ")) }
            if deliverLocally(m, publisher: nil, plain: f.plain, groups: groups) == 0 {
                counters.forwardsUnrouted += 1
            }
        }
    }

    // MARK: backpressure

    var underPressure: Bool {
        pendingMessages > maxPendingMessages || links.values.contains { !$0.isWritable }
    }

    /// Called after a client's read batch: stop reading it while forwards cannot keep up.
    func checkPressure(_ channel: Channel) {
        guard underPressure, !paused.contains(where: { $0 === channel }) else { return }
        paused.append(channel)
        _ = try? channel.syncOptions?.setOption(.autoRead, value: false)
    }

    func relievePressure() {
        guard !paused.isEmpty, !underPressure else { return }
        let resume = paused
        paused.removeAll()
        for ch in resume {
            _ = try? ch.syncOptions?.setOption(.autoRead, value: true)
            ch.read()
        }
    }

    func peerWritabilityChanged() { relievePressure() }

    /// What the stats port reports; the node's id and peer port as info.
    func stats() -> ComponentStats {
        var s = counters.stats(
            knownPeers: table.count, storedRecords: store.count,
            localSubscriptions: literalSubs.values.reduce(0) { $0 + $1.count } + wildcardSubs.count,
            remoteInterest: interest.count,
            clients: clients.count, activePeerConnections: links.count + oneShotLinks, pendingMessages: pendingMessages)
        s.info = ["node_id": String(selfContact.id, radix: 16), "peer_port": String(selfContact.port)]
        return s
    }
}
