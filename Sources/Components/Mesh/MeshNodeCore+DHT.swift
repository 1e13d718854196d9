import MeshWire
import NIOCore

/// The DHT side of a node: links to peers, requests and their answers, lookups, STORE of local
/// topics and their refresh, bootstrap and routing-table refresh.
extension MeshNodeCore {
    static let rpcTimeout: TimeAmount = .seconds(3)

    func link(for contact: MeshContact) -> MeshPeerLink {
        if let l = links[contact.id], !l.closed, l.contact == contact { return l }
        let l = MeshPeerLink(contact: contact, oneShot: false, core: self)
        links[contact.id] = l
        l.connect(loop: loop)
        return l
    }

    func openOneShot(_ contact: MeshContact) -> MeshPeerLink {
        let l = MeshPeerLink(contact: contact, oneShot: true, core: self)
        oneShotLinks += 1
        l.connect(loop: loop)
        return l
    }

    /// A link closed; an unreachable peer leaves the routing table and the discovery cache.
    func linkClosed(_ link: MeshPeerLink, reachable: Bool) {
        if link.oneShot {
            oneShotLinks -= 1
        } else if links[link.contact.id] === link {
            links[link.contact.id] = nil
        }
        if !reachable && !stopped { forget(link.contact.id) }
        relievePressure()
    }

    func forget(_ id: UInt64) {
        table.remove(id: id)
        if entryContact?.id == id { entryContact = nil }
        outboxes[id]?.cancel()
        outboxes[id] = nil
        interest.removeNode(id)
    }

    /// A contact heard of; a node new to the routing table gets this node's replicated interest, and a
    /// contact at the address of a known node with another id replaces it (the node restarted).
    func learn(_ contact: MeshContact) {
        guard contact.id != selfContact.id, contact.id != 0, !stopped else { return }
        for old in table.contacts where old.id != contact.id && old.sameAddress(contact) {
            counters.duplicatesSuppressed += 1
            forget(old.id)
            interest.removeNode(old.id)
        }
        if table.insert(contact) == .added { pushInterest(to: contact) }
        if entryContact == nil { entryContact = contact }
    }

    /// The peer spoke to this node: it is reachable again.
    func heardFrom(_ contact: MeshContact) {
        backoff.recovered(contact.id)
        learn(contact)
    }

    /// A connection attempt to `contact` failed: hold it off.
    func connectFailed(_ contact: MeshContact) {
        counters.peerBackoffs += 1
        backoff.failed(contact.id, now: Self.now())
    }

    /// Sends a request built around a fresh rpc number; `completion` gets the answer or nil.
    func request(_ contact: MeshContact, _ build: (UInt32, MeshContact) -> MeshFrame, completion: @escaping (MeshFrame?) -> Void) {
        if stopped { return completion(nil) }
        if !backoff.isEmpty && backoff.isHeld(contact.id, now: Self.now()) {
            counters.requestsHeldOff += 1
            return completion(nil)
        }
        counters.dhtRPCsSent += 1
        let frame = build(makeRPC(), selfContact)
        let l = options.peerConnections == .pooled ? link(for: contact) : openOneShot(contact)
        l.request(frame, timeout: Self.rpcTimeout, loop: loop) { [self] answer in
            if let answer {
                switch answer {
                case .pong(_, let s), .nodes(_, let s, _), .value(_, let s, _, _, _): heardFrom(s)
                default: break
                }
            }
            completion(answer)
        }
    }

    // MARK: answering peers

    /// Answers a request that arrived on the peer port; `reply` writes on that connection (at once or,
    /// for a STORE or UNSTORE that changes a record, once the nodes caching the key have been told).
    func handle(_ frame: MeshFrame, reply: @escaping (MeshFrame) -> Void) {
        let now = Self.now()
        switch frame {
        case .ping(let rpc, let sender):
            heardFrom(sender)
            reply(.pong(rpc: rpc, sender: selfContact))
        case .findNode(let rpc, let sender, let target):
            counters.dhtRequestsServed += 1
            heardFrom(sender)
            reply(.nodes(rpc: rpc, sender: selfContact, contacts: table.closest(to: target, count: table.k)))
        case .store(let rpc, let sender, let key, let ttl):
            counters.dhtRequestsServed += 1
            heardFrom(sender)
            if MeshInterestTable.isInterestKey(key) {
                counters.interestReceived += 1
                var replaced = 0
                _ = interest.add(key: String(decoding: key, as: UTF8.self), contact: sender,
                                 ttlNanos: UInt64(ttl) * 1_000_000, now: now, replaced: &replaced)
                counters.duplicatesSuppressed += replaced
                return reply(.ack(rpc: rpc))
            }
            let replaced = store.store(key: key, contact: sender, ttlNanos: UInt64(ttl) * 1_000_000, now: now)
            counters.duplicatesSuppressed += replaced.count
            guard replaced.isNew else { return reply(.ack(rpc: rpc)) }
            pushChange(key: key, contact: sender, added: true) { reply(.ack(rpc: rpc)) }
        case .unstore(let rpc, let sender, let key):
            counters.dhtRequestsServed += 1
            heardFrom(sender)
            if MeshInterestTable.isInterestKey(key) {
                counters.interestReceived += 1
                interest.remove(key: String(decoding: key, as: UTF8.self), id: sender.id)
                return reply(.ack(rpc: rpc))
            }
            guard store.remove(key: key, id: sender.id) else { return reply(.ack(rpc: rpc)) }
            pushChange(key: key, contact: sender, added: false) { reply(.ack(rpc: rpc)) }
        case .findValue(let rpc, let sender, let key):
            counters.dhtRequestsServed += 1
            heardFrom(sender)
            watch(key, by: sender, now: now)
            let (found, values) = store.values(key: key, now: now)
            let closer = table.closest(to: KademliaDistance.keyID(key), count: table.k)
            reply(.value(rpc: rpc, sender: selfContact, found: found, values: values, closer: closer))
        case .update(let rpc, let sender, let key, let contact, let added):
            heardFrom(sender)
            counters.invalidationsReceived += 1
            applyChange(key: key, contact: contact, added: added)
            reply(.ack(rpc: rpc))
        case .forward(let ack, let messages):
            receiveForward(messages)
            if ack != 0 { reply(.ack(rpc: ack)) }
        case .pong, .nodes, .ack, .value:
            break // answers only arrive on links this node opened
        }
    }

    // MARK: lookups

    /// Finds the nodes with subscribers for `key` (not counting this node). With the routing table,
    /// the lookup starts at the known contacts closest to the key, `alpha` queries at a time, and
    /// stops after the first round that finds records; without it, it crawls from one entry node,
    /// one query at a time, asking every node it hears of.
    func findValue(_ key: [UInt8], completion: @escaping ([MeshContact]) -> Void) {
        let keyID = KademliaDistance.keyID(key)
        let start: [MeshContact]
        if options.routingTable {
            start = table.closest(to: keyID, count: table.k)
        } else {
            start = entryContact.map { [$0] } ?? Array(table.contacts.prefix(1))
        }
        let lookup = MeshLookup(target: keyID, selfID: selfContact.id, start: start,
                                parallelism: options.routingTable ? options.alpha : 1,
                                stopWhenFound: options.routingTable, limit: options.routingTable ? table.k : 64)
        var values: [UInt64: MeshContact] = [:]
        let (_, local) = store.values(key: key, now: Self.now())
        for v in local where v.id != selfContact.id { values[v.id] = v }
        lookup.run(query: { [self] contact, done in
            counters.dhtQueriesSent += 1
            request(contact, { .findValue(rpc: $0, sender: $1, key: key) }) { [self] answer in
                guard case .value(_, _, let found, let vs, let closer)? = answer else {
                    counters.dhtQueriesFailed += 1
                    return done(nil, false)
                }
                counters.dhtQueriesAnswered += 1
                for v in vs where v.id != selfContact.id { values[v.id] = v }
                for c in closer { learn(c) }
                done(closer, found)
            }
        }, finished: {
            completion(self.dedup(values.values.sorted { $0.id < $1.id }))
        })
    }

    /// Iterative FIND_NODE of `target`, learning every contact heard of.
    func findNode(_ target: UInt64, extra: [MeshContact] = [], completion: @escaping () -> Void) {
        let lookup = MeshLookup(target: target, selfID: selfContact.id, start: table.closest(to: target, count: table.k) + extra,
                                parallelism: options.alpha, stopWhenFound: false, limit: table.k)
        lookup.run(query: { [self] contact, done in
            request(contact, { .findNode(rpc: $0, sender: $1, target: target) }) { [self] answer in
                guard case .nodes(_, _, let contacts)? = answer else { return done(nil, false) }
                for c in contacts { learn(c) }
                done(contacts, false)
            }
        }, finished: completion)
    }

    // MARK: announcing local topics

    /// Stores "topic → this node" on the k closest nodes; `waiter`'s PONGs wait for the acks.
    func announce(_ topic: ByteBuffer, waiter: MeshLocalClient?) {
        if deferUntilJoined(waiter, { [self] in if plainCount[topic] != nil { announce(topic, waiter: waiter) } }) { return }
        let key = Array(topic.readableBytesView)
        let targets = table.closest(to: KademliaDistance.keyID(key), count: table.k)
        let ttl = UInt32(min(Double(UInt32.max), options.recordTTL * 1000))
        if store.store(key: key, contact: selfContact, ttlNanos: UInt64(ttl) * 1_000_000, now: Self.now()).isNew {
            applyChange(key: key, contact: selfContact, added: true)
        }
        announced[topic] = targets
        if let waiter { waiter.pendingStores += targets.count }
        for t in targets {
            counters.storesSent += 1
            request(t, { .store(rpc: $0, sender: $1, key: key, ttlMillis: ttl) }) { _ in waiter?.storeSettled() }
        }
    }

    func withdraw(_ topic: ByteBuffer, waiter: MeshLocalClient?, done: (() -> Void)? = nil) {
        let key = Array(topic.readableBytesView)
        if store.remove(key: key, id: selfContact.id) { applyChange(key: key, contact: selfContact, added: false) }
        unstore(key, at: announced.removeValue(forKey: topic) ?? [], waiter: waiter, done: done)
    }

    /// Sends UNSTORE of `key` to `targets`; `waiter`'s PONGs wait for the acks, `done` runs after the last.
    func unstore(_ key: [UInt8], at targets: [MeshContact], waiter: MeshLocalClient?, done: (() -> Void)?) {
        guard !targets.isEmpty else {
            done?()
            return
        }
        if let waiter { waiter.pendingStores += targets.count }
        var left = targets.count
        for t in targets {
            counters.withdrawalsSent += 1
            request(t, { .unstore(rpc: $0, sender: $1, key: key) }) { _ in
                waiter?.storeSettled()
                left -= 1
                if left == 0 { done?() }
            }
        }
    }

    // MARK: start-up and timers

    /// Joins through the seeds (PING each, then FIND_NODE of this node's id) and starts the refresh
    /// timers: routing table every `refresh-interval`, STOREs of local topics every half `record-ttl`.
    func start() {
        join()
        let refresh = TimeAmount.nanoseconds(Int64(options.refreshInterval * 1e9))
        timers.append(loop.scheduleRepeatedTask(initialDelay: refresh, delay: refresh) { [self] _ in
            if table.count == 0 { join() } else { findNode(selfContact.id) {} }
        })
        let half = TimeAmount.nanoseconds(Int64(options.recordTTL * 0.5e9))
        timers.append(loop.scheduleRepeatedTask(initialDelay: half, delay: half) { [self] _ in
            let now = Self.now()
            store.expire(now: now)
            interest.expire(now: now)
            expireWatchers(now: now)
            for topic in Array(announced.keys) { announce(topic, waiter: nil) }
            for key in localInterest.keys { replicate(key, waiter: nil) }
        })
    }

    private func join() {
        for seed in options.bootstrap {
            // The seed's id is unknown until it answers; id 0 marks the placeholder contact.
            let contact = MeshContact(id: 0, host: seed.host, port: seed.port)
            counters.dhtRPCsSent += 1
            let l = openOneShot(contact)
            l.request(.ping(rpc: makeRPC(), sender: selfContact), timeout: Self.rpcTimeout, loop: loop) { [self] answer in
                guard case .pong(_, let s)? = answer else { return }
                learn(s)
                entryContact = s
                findNode(selfContact.id) { [self] in joinFinished() }
            }
        }
        if !options.bootstrap.isEmpty {
            loop.scheduleTask(in: Self.rpcTimeout + .seconds(1)) { [self] in joinFinished() }
        }
    }

    /// The first join through the seeds ended (or timed out): the SUBs made meanwhile are announced now.
    private func joinFinished() {
        guard !joined else { return }
        joined = true
        let deferred = afterJoin
        afterJoin.removeAll()
        for run in deferred { run() }
    }

    /// Until the node has joined, an announcement waits (and so does its client's PONG): with no peers
    /// known it would reach nobody.
    func deferUntilJoined(_ waiter: MeshLocalClient?, _ run: @escaping () -> Void) -> Bool {
        guard !joined else { return false }
        waiter?.pendingStores += 1
        afterJoin.append {
            run()
            waiter?.storeSettled()
        }
        return true
    }

    /// Withdraws this node's records and replicated interest (waiting at most a second for the acks),
    /// then stops the timers and closes the links.
    func shutdown(done: @escaping () -> Void) {
        shutdownDone = done
        var left = 1
        let settle = { [self] in
            left -= 1
            if left == 0 { finishShutdown() }
        }
        loop.scheduleTask(in: .seconds(1)) { [self] in finishShutdown() }
        for topic in Array(announced.keys) {
            left += 1
            withdraw(topic, waiter: nil, done: settle)
        }
        for key in Array(localInterest.keys) {
            left += 1
            unreplicate(key, waiter: nil, done: settle)
        }
        settle()
    }

    private func finishShutdown() {
        guard let done = shutdownDone else { return }
        shutdownDone = nil
        stopped = true
        for t in timers { t.cancel() }
        timers.removeAll()
        for o in outboxes.values { o.send() }
        for l in Array(links.values) { l.close() }
        done()
    }
}
