import MeshWire
import NATSWire
import NIOCore

/// Publishing: local delivery, the choice of one member per queue group mesh-wide, the discovery of the
/// subject's subscriber nodes (cache or DHT), forwarding, and no-responders.
extension MeshNodeCore {
    func publish(from client: MeshLocalClient, subject: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer?,
                 payload: ByteBuffer) {
        counters.msgsIn += 1
        var m = MeshOutgoing(subject: subject, reply: reply, headers: headers, payload: payload)
        var chosenHere: Set<Substring>?
        if !interest.isEmpty || localQueueSubs > 0 {
            let text = String(buffer: subject)
            let remote = interest.isEmpty ? MeshInterestTable.Match() : interest.match(text)
            let local = localQueueSubs > 0 ? localGroups(subject, text: text) : []
            var byNode: [UInt64: (contact: MeshContact, groups: [String])] = [:]
            for c in remote.plain where c.id != selfContact.id { byNode[c.id] = (c, []) }
            for group in local.isEmpty ? remote.groupNames : Set(remote.groupNames).union(local).sorted() {
                // One choice per group mesh-wide: this node (if it has members) or one remote member node.
                let candidates = (remote.groups[group] ?? []).filter { $0.id != selfContact.id }
                let slots = candidates.count + (local.contains(group) ? 1 : 0)
                guard slots > 0 else { continue }
                roundRobin &+= 1
                let pick = roundRobin % slots
                if pick == candidates.count {
                    chosenHere = chosenHere ?? []
                    chosenHere?.insert(Substring(group))
                } else {
                    let c = candidates[pick]
                    byNode[c.id, default: (c, [])].groups.append(group)
                }
            }
            let plainIDs = Set(remote.plain.map(\.id))
            m.extra = byNode.values.sorted { $0.contact.id < $1.contact.id }.map {
                MeshForwardTarget(contact: $0.contact, plain: plainIDs.contains($0.contact.id),
                                  groups: $0.groups.isEmpty ? nil : $0.groups.count == 1 ? remote.groupBuffers[$0.groups[0]]
                                      : ByteBuffer(string: $0.groups.joined(separator: " ")))
            }
        }
        let here = deliverLocally(m, publisher: client, plain: true, groups: chosenHere)
        if reply != nil && here == 0 && client.noResponders { m.requester = client }
        route(m)
    }

    /// Forwards a published message to the other nodes with subscribers for its subject.
    func route(_ m: MeshOutgoing) {
        var m = m
        let subject = m.subject
        if NATSSubject.hasWildcard(subject.readableBytesView) { return forward(to: [], m) }
        if ttlNanos == 0 && intervalNanos == 0 {
            // No cache: every message waits for a lookup that began after it was published. One lookup
            // per subject runs at a time; the messages published meanwhile share the next one, so a
            // publisher faster than the DHT cannot pile up one lookup per message (and lookups of one
            // subject end in the order they began, which keeps its messages in order).
            counters.cacheMisses += 1
            sendExtraNow(&m)
            pendingMessages += 1
            if let running = waiting[subject] {
                let next = running.next ?? PendingDiscovery(subject: running.subject)
                running.next = next
                next.messages.append(m)
                counters.lookupsCoalesced += 1
                return
            }
            let pending = PendingDiscovery(subject: ByteBuffer(bytes: subject.readableBytesView))
            pending.messages.append(m)
            waiting[pending.subject] = pending
            discover(pending, register: false)
            return
        }
        let now = Self.now()
        if let pending = waiting[subject] {
            counters.cacheMisses += 1
            sendExtraNow(&m)
            pending.messages.append(m)
            pendingMessages += 1
            return
        }
        if let entry = cache[subject] {
            if now &- entry.fetchedAt < ttlNanos {
                counters.cacheHits += 1
                forward(to: entry.nodes, m)
                return
            }
            if now &- entry.lookupAt < intervalNanos {
                counters.rateLimitedReuses += 1
                forward(to: entry.nodes, m)
                return
            }
            if options.serveStale {
                // Expired: refresh in the background and keep serving the entry meanwhile.
                counters.cacheHits += 1
                counters.cacheStaleHits += 1
                forward(to: entry.nodes, m)
                if refreshing[subject] == nil {
                    let key = ByteBuffer(bytes: subject.readableBytesView)
                    let refresh = PendingDiscovery(subject: key)
                    refreshing[key] = refresh
                    discover(refresh, register: true)
                }
                return
            }
        }
        counters.cacheMisses += 1
        let key = ByteBuffer(bytes: subject.readableBytesView)
        let pending = PendingDiscovery(subject: key)
        sendExtraNow(&m)
        pending.messages.append(m)
        pendingMessages += 1
        waiting[key] = pending
        discover(pending, register: true)
    }

    /// Replicated-interest targets (a requester's `_INBOX.<id>.*`, queue members) need no lookup: they
    /// get the message at once, and the DHT's subscriber nodes when the lookup answers.
    /// Also detaches the message from the parser's buffers: its subject and reply may be slices of a
    /// line buffer the client's next operation overwrites, and it is about to wait for a lookup.
    private func sendExtraNow(_ m: inout MeshOutgoing) {
        m.subject = ByteBuffer(bytes: m.subject.readableBytesView)
        if let r = m.reply { m.reply = ByteBuffer(bytes: r.readableBytesView) }
        if let h = m.headers { m.headers = ByteBuffer(bytes: h.readableBytesView) }
        guard !m.extra.isEmpty else { return }
        for t in m.extra { send(m, to: t.contact, plain: t.plain, groups: t.groups) }
        m.extraSent = true
    }

    private func discover(_ pending: PendingDiscovery, register: Bool) {
        let started = Self.now()
        counters.discoveryLookups += 1
        findValue(Array(pending.subject.readableBytesView)) { [self] found in
            let done = Self.now()
            counters.discoveryLatency.record(done &- started)
            var nodes = found
            for change in pending.changes { Self.apply(change.contact, added: change.added, to: &nodes) }
            if register {
                if waiting[pending.subject] === pending { waiting[pending.subject] = nil }
                if refreshing[pending.subject] === pending { refreshing[pending.subject] = nil }
                if cache.count >= maxCacheEntries { cache = cache.filter { done &- $0.value.fetchedAt < ttlNanos } }
                cache[pending.subject] = CacheEntry(nodes: nodes, fetchedAt: done, lookupAt: started)
            }
            pendingMessages -= pending.messages.count
            for m in pending.messages { forward(to: nodes, m) }
            if !register && waiting[pending.subject] === pending {
                waiting[pending.subject] = pending.next
                if let next = pending.next { discover(next, register: false) }
            }
            relievePressure()
        }
    }

    /// Adds (replacing a contact at the same address) or removes `contact` in a subscriber node list.
    static func apply(_ contact: MeshContact, added: Bool, to nodes: inout [MeshContact]) {
        nodes.removeAll { $0.id == contact.id || (added && $0.sameAddress(contact)) }
        if added {
            nodes.append(contact)
            nodes.sort { $0.id < $1.id }
        }
    }

    /// Sends `m` to `nodes` (its subject's DHT subscriber nodes) and to its replicated-interest targets,
    /// once per node; a requester nobody answers gets a no-responders status.
    func forward(to nodes: [MeshContact], _ m: MeshOutgoing) {
        var sent = 0
        if m.extraSent {
            sent = m.extra.count
            for node in nodes where node.id != selfContact.id {
                let t = m.extra.first { $0.contact.sameAddress(node) }
                if t?.plain != true { send(m, to: t?.contact ?? node, plain: true, groups: nil) }
            }
        } else if m.extra.isEmpty {
            for node in nodes where node.id != selfContact.id {
                sent += 1
                send(m, to: node, plain: true, groups: nil)
            }
        } else {
            for node in nodes where node.id != selfContact.id {
                if let t = m.extra.first(where: { $0.contact.sameAddress(node) }) {
                    send(m, to: t.contact, plain: true, groups: t.groups)
                } else {
                    send(m, to: node, plain: true, groups: nil)
                }
                sent += 1
            }
            for t in m.extra where !nodes.contains(where: { $0.sameAddress(t.contact) && $0.id != selfContact.id }) {
                send(m, to: t.contact, plain: t.plain, groups: t.groups)
                sent += 1
            }
        }
        if sent == 0, let requester = m.requester, let reply = m.reply { noResponders(requester, reply: reply) }
    }

    @inline(__always)
    private func send(_ m: MeshOutgoing, to node: MeshContact, plain: Bool, groups: ByteBuffer?) {
        counters.forwards += 1
        handicap.apply()
        outbox(for: node).append(m, plain: plain, groups: groups)
    }

    func outbox(for contact: MeshContact) -> MeshPeerOutbox {
        if let o = outboxes[contact.id], o.contact == contact { return o }
        let o = MeshPeerOutbox(contact: contact, core: self)
        outboxes[contact.id] = o
        return o
    }

    /// What nats-server sends a requester whose request no subscriber got: an empty HMSG with status
    /// 503 on the reply subject, to the requester's own subscriptions matching it.
    func noResponders(_ client: MeshLocalClient, reply: ByteBuffer) {
        guard !client.closed else { return }
        counters.noRespondersSent += 1
        let text = String(buffer: reply)
        let status = ByteBuffer(string: "NATS/1.0 503\r\n\r\n")
        for sub in client.subscriptions.values where NATSSubject.matches(pattern: sub.subjectText, subject: text) {
            client.writeMsg(subject: reply, sid: sub.sid, reply: nil, headers: status, payload: ByteBuffer())
            touch(client)
            break
        }
        flushTouched()
    }
}
