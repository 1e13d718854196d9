import ComponentKit
import MeshWire
import NATSWire
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Everything one node knows, confined to its single event loop (all of the node's channels live
/// on it, so no state needs a lock): its routing table and DHT records, its local subscriptions, the
/// discovery cache, the links to peers, and the counters.
///
/// A publish is delivered to local subscribers at once, then forwarded to the subscriber nodes of its
/// subject: from the discovery cache when the entry is fresh, else after a DHT lookup (FIND_VALUE),
/// with the messages waiting for that lookup in order behind it.
final class MeshNodeCore: @unchecked Sendable {
    struct CacheEntry {
        var nodes: [MeshContact]
        var fetchedAt: UInt64
        var lookupAt: UInt64
    }

    /// Messages waiting for the discovery of their subject's subscriber nodes.
    final class PendingDiscovery {
        let subject: ByteBuffer
        var payloads: [ByteBuffer] = []
        init(subject: ByteBuffer) { self.subject = subject }
    }

    let options: MeshNodeOptions
    let loop: EventLoop
    var selfContact: MeshContact
    var table: KademliaRoutingTable
    var store = MeshRecordStore()
    var counters = MeshCounters()
    var links: [UInt64: MeshPeerLink] = [:]
    var oneShotLinks = 0
    var outboxes: [UInt64: MeshPeerOutbox] = [:]
    var entryContact: MeshContact?
    var literalSubs: [ByteBuffer: [MeshLocalSubscription]] = [:]
    var wildcardSubs: [MeshLocalSubscription] = []
    /// Topics this node announced, with the nodes their STOREs went to.
    var announced: [ByteBuffer: [MeshContact]] = [:]
    var cache: [ByteBuffer: CacheEntry] = [:]
    var waiting: [ByteBuffer: PendingDiscovery] = [:]
    /// Subjects whose expired cache entry is being refreshed while it keeps serving (`serve-stale`).
    var refreshing: Set<ByteBuffer> = []
    var pendingMessages = 0
    var clients: [ObjectIdentifier: MeshLocalClient] = [:]
    var touched: [MeshLocalClient] = []
    var paused: [Channel] = []
    var nextRPCNumber: UInt32 = 0
    var timers: [RepeatedTask] = []
    var stopped = false
    var roundRobin = 0
    let ttlNanos: UInt64
    let intervalNanos: UInt64
    /// Busy-wait per forwarded message (`handicap-ns`).
    let handicap: Handicap
    /// Past this many messages waiting for discovery, local clients stop being read.
    let maxPendingMessages = 20_000

    init(options: MeshNodeOptions, loop: EventLoop) {
        self.options = options
        self.loop = loop
        let id = options.nodeID ?? UInt64.random(in: 1...UInt64.max)
        selfContact = MeshContact(id: id, host: options.host, port: 0)
        table = KademliaRoutingTable(selfID: id, k: options.bucketSize)
        ttlNanos = UInt64(options.discoveryCacheTTL * 1e9)
        intervalNanos = UInt64(options.minDiscoveryInterval * 1e9)
        handicap = Handicap(nanoseconds: options.handicapNanoseconds)
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
        for sub in client.subscriptions.values { removeSubscription(sub) }
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

    func subscribe(_ client: MeshLocalClient, subject: ByteBuffer, queue: ByteBuffer?, sid: ByteBuffer) -> Bool {
        guard NATSSubject.isValidSubscribe(subject.readableBytesView) else { return false }
        let sidKey = ByteBuffer(bytes: sid.readableBytesView)
        if client.subscriptions[sidKey] != nil { return true }
        let wildcard = NATSSubject.hasWildcard(subject.readableBytesView)
        let topic = ByteBuffer(bytes: subject.readableBytesView)
        let sub = MeshLocalSubscription(client: client, subject: topic, sid: sidKey, queue: queue.map { String(buffer: $0) },
                                        isWildcard: wildcard)
        client.subscriptions[sidKey] = sub
        if wildcard {
            wildcardSubs.append(sub) // wildcards match publishes on this node only; they are not announced
            return true
        }
        let first = literalSubs[topic] == nil
        literalSubs[topic, default: []].append(sub)
        if first { announce(topic, waiter: client) }
        return true
    }

    func unsubscribe(_ client: MeshLocalClient, sid: ByteBuffer, max: Int?) {
        guard let sub = client.subscriptions[sid] else { return }
        if let max, max > 0, sub.delivered < max {
            sub.maxMessages = max
            return
        }
        client.subscriptions[sid] = nil
        removeSubscription(sub)
    }

    private func removeSubscription(_ sub: MeshLocalSubscription) {
        if sub.isWildcard {
            wildcardSubs.removeAll { $0 === sub }
            return
        }
        guard var list = literalSubs[sub.subject] else { return }
        list.removeAll { $0 === sub }
        if list.isEmpty {
            literalSubs[sub.subject] = nil
            withdraw(sub.subject)
        } else {
            literalSubs[sub.subject] = list
        }
    }

    // MARK: publishing

    func publish(from client: MeshLocalClient, subject: ByteBuffer, reply: ByteBuffer?, payload: ByteBuffer) {
        counters.msgsIn += 1
        deliverLocally(subject: subject, reply: reply, payload: payload, publisher: client)
        route(subject: subject, payload: payload)
    }

    /// Delivers to this node's subscribers; returns how many got the message.
    @discardableResult
    func deliverLocally(subject: ByteBuffer, reply: ByteBuffer?, payload: ByteBuffer, publisher: MeshLocalClient?) -> Int {
        var n = 0
        var groups: [String: [MeshLocalSubscription]]?
        func offer(_ sub: MeshLocalSubscription) {
            if let q = sub.queue {
                groups = groups ?? [:]
                groups?[q, default: []].append(sub)
            } else if deliver(sub, subject: subject, reply: reply, payload: payload, publisher: publisher) {
                n += 1
            }
        }
        if let list = literalSubs[subject] { for sub in list { offer(sub) } }
        if !wildcardSubs.isEmpty {
            let text = String(buffer: subject)
            for sub in wildcardSubs where NATSSubject.matches(pattern: sub.subjectText, subject: text) { offer(sub) }
        }
        if let groups {
            for (_, members) in groups.sorted(by: { $0.key < $1.key }) {
                roundRobin &+= 1
                if deliver(members[roundRobin % members.count], subject: subject, reply: reply, payload: payload, publisher: publisher) { n += 1 }
            }
        }
        counters.msgsDelivered += n
        return n
    }

    @inline(__always)
    private func deliver(_ sub: MeshLocalSubscription, subject: ByteBuffer, reply: ByteBuffer?, payload: ByteBuffer,
                         publisher: MeshLocalClient?) -> Bool {
        let client = sub.client
        if client.closed || (publisher === client && !client.echo) { return false }
        client.writeMsg(subject: subject, sid: sub.sid, reply: reply, payload: payload)
        touch(client)
        sub.delivered += 1
        if sub.maxMessages > 0 && sub.delivered >= sub.maxMessages {
            client.subscriptions[sub.sid] = nil
            removeSubscription(sub)
        }
        return true
    }

    /// Forwards a published message to the other nodes with subscribers for its subject.
    func route(subject: ByteBuffer, payload: ByteBuffer) {
        if NATSSubject.hasWildcard(subject.readableBytesView) { return }
        if ttlNanos == 0 && intervalNanos == 0 {
            counters.cacheMisses += 1
            let pending = PendingDiscovery(subject: ByteBuffer(bytes: subject.readableBytesView))
            pending.payloads.append(payload)
            pendingMessages += 1
            discover(pending, register: false)
            return
        }
        let now = Self.now()
        if let pending = waiting[subject] {
            counters.cacheMisses += 1
            pending.payloads.append(payload)
            pendingMessages += 1
            return
        }
        if let entry = cache[subject] {
            if now &- entry.fetchedAt < ttlNanos {
                counters.cacheHits += 1
                forward(to: entry.nodes, subject: subject, payload: payload)
                return
            }
            if now &- entry.lookupAt < intervalNanos {
                counters.rateLimitedReuses += 1
                forward(to: entry.nodes, subject: subject, payload: payload)
                return
            }
            if options.serveStale {
                // Expired: refresh in the background and keep serving the entry meanwhile.
                counters.cacheHits += 1
                counters.cacheStaleHits += 1
                forward(to: entry.nodes, subject: subject, payload: payload)
                if !refreshing.contains(subject) {
                    let key = ByteBuffer(bytes: subject.readableBytesView)
                    refreshing.insert(key)
                    discover(PendingDiscovery(subject: key), register: true)
                }
                return
            }
        }
        counters.cacheMisses += 1
        let key = ByteBuffer(bytes: subject.readableBytesView)
        let pending = PendingDiscovery(subject: key)
        pending.payloads.append(payload)
        pendingMessages += 1
        waiting[key] = pending
        discover(pending, register: true)
    }

    private func discover(_ pending: PendingDiscovery, register: Bool) {
        let started = Self.now()
        counters.discoveryLookups += 1
        findValue(Array(pending.subject.readableBytesView)) { [self] nodes in
            let done = Self.now()
            counters.discoveryLatency.record(done &- started)
            if register {
                waiting[pending.subject] = nil
                refreshing.remove(pending.subject)
                cache[pending.subject] = CacheEntry(nodes: nodes, fetchedAt: done, lookupAt: started)
            }
            pendingMessages -= pending.payloads.count
            for p in pending.payloads { forward(to: nodes, subject: pending.subject, payload: p) }
            relievePressure()
        }
    }

    @inline(__always)
    func forward(to nodes: [MeshContact], subject: ByteBuffer, payload: ByteBuffer) {
        for node in nodes where node.id != selfContact.id {
            counters.forwards += 1
            handicap.apply()
            outbox(for: node).append(subject: subject, payload: payload)
        }
    }

    func outbox(for contact: MeshContact) -> MeshPeerOutbox {
        if let o = outboxes[contact.id], o.contact == contact { return o }
        let o = MeshPeerOutbox(contact: contact, core: self)
        outboxes[contact.id] = o
        return o
    }

    /// Messages arrived from a peer for this node's subscribers.
    func receiveForward(_ messages: MeshForwardedMessages) {
        for (subject, payload) in messages {
            counters.forwardsReceived += 1
            if deliverLocally(subject: subject, reply: nil, payload: payload, publisher: nil) == 0 {
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
            clients: clients.count, activePeerConnections: links.count + oneShotLinks, pendingMessages: pendingMessages)
        s.info = ["node_id": String(selfContact.id, radix: 16), "peer_port": String(selfContact.port)]
        return s
    }
}
