import ComponentKit
import Foundation
import NATSWire
import NIOCore

/// Reads one client connection: parses its operations straight out of the read buffers and routes
/// each `PUB` while it is parsed. Deliveries to other connections are queued on them and flushed once
/// per read batch (`flush=batched`) or after each message (`flush=immediate`). A publisher whose
/// subscriber is over its stall mark stops being parsed and read until that subscriber drains.
/// Session matters (CONNECT, authentication, server PINGs, lame duck) are in `+Session`.
final class BrokerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let core: BrokerCore
    // Per-message state, confined to this channel's event loop: the dynamic exclusivity check that
    // Swift performs on every access to a class's stored property is switched off for it.
    @exclusivity(unchecked) var connection: BrokerConnection?
    @exclusivity(unchecked) var parser: NATSClientOpParser
    @exclusivity(unchecked) private var cumulation: ByteBuffer?
    @exclusivity(unchecked) private var cache: DispatchCache
    @exclusivity(unchecked) private var touched: [BrokerConnection] = []
    @exclusivity(unchecked) var verbose = true
    @exclusivity(unchecked) var pedantic = true
    @exclusivity(unchecked) var headers = false
    @exclusivity(unchecked) var noResponders = false
    @exclusivity(unchecked) var connected = false
    @exclusivity(unchecked) var closing = false
    /// Held back by a subscriber over its stall mark: reads are off and parsing waits.
    @exclusivity(unchecked) private var stalled = false
    @exclusivity(unchecked) private var roundRobin = 0
    @exclusivity(unchecked) private var msgsIn = 0, bytesIn = 0, msgsOut = 0, bytesOut = 0, slowConsumers = 0
    @exclusivity(unchecked) var pingsOut = 0
    @exclusivity(unchecked) var answeredPing = false
    @exclusivity(unchecked) var lastRead = NIODeadline.now()
    @exclusivity(unchecked) var timers: [Scheduled<Void>] = []
    @exclusivity(unchecked) var pingTask: RepeatedTask?
    private let immediate: Bool
    private let useCache: Bool
    private let flushPerRead: Bool
    private let handicap: Handicap

    init(core: BrokerCore) {
        self.core = core
        parser = NATSClientOpParser(maxPayload: core.options.maxPayload)
        cache = DispatchCache(capacity: core.options.dispatchCacheSize)
        immediate = core.options.flush == .immediate
        useCache = core.options.dispatchCache
        flushPerRead = core.options.flush == .read
        handicap = Handicap(nanoseconds: core.options.handicapNanoseconds)
    }

    func channelActive(context: ChannelHandlerContext) {
        let id = core.makeClientID()
        let conn = BrokerConnection(id: id, channel: context.channel, options: core.options)
        connection = conn
        core.opened(conn)
        core.counters.connections.add(1, ordering: .relaxed)
        core.counters.totalConnections.add(1, ordering: .relaxed)
        let info = core.infoJSON(clientID: id, clientIP: conn.remote.ip)
        _ = conn.enqueueControl { $0.writeNATSInfo(json: info) }
        conn.flushNow()
        startSession(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        endSession()
        if let conn = connection {
            for sub in conn.closeAndTakeSubscriptions() { core.trie.remove(sub) }
            conn.releaseStalled()
            core.closed(conn)
            core.counters.connections.add(-1, ordering: .relaxed)
        }
        publishCounts()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if closing { return }
        lastRead = .now()
        var incoming = unwrapInboundIn(data)
        if var acc = cumulation {
            cumulation = nil
            acc.writeBuffer(&incoming)
            process(&acc, context)
        } else {
            process(&incoming, context)
        }
        // Hand this read's deliveries to the subscribers' event loops now rather than after the
        // whole read batch (up to `maxMessagesPerRead` reads): their writes then overlap with the
        // parsing of the next read, as nats-server's per-client writeLoop does.
        if flushPerRead { flushTouched() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        publishCounts() // before the flush, so a client that saw its PONG sees the counts too
        flushTouched()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { connection?.flushNow() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is BrokerResumeReading else { return context.fireUserInboundEventTriggered(event) }
        guard stalled, !closing else { return }
        stalled = false
        if var acc = cumulation {
            cumulation = nil
            process(&acc, context)
        }
        publishCounts()
        flushTouched()
        if !stalled { context.channel.setOption(.autoRead, value: true).whenFailure { _ in } }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func process(_ buffer: inout ByteBuffer, _ context: ChannelHandlerContext) {
        if stalled {
            cumulation = buffer
            return
        }
        // A local copy spares a dynamic exclusivity check on the stored property per operation.
        var parser = self.parser
        defer { self.parser = parser }
        do {
            while !closing, !stalled, let frame = try parser.nextFrame(&buffer) {
                switch frame {
                case .publish(let pub):
                    publish(pub, in: buffer)
                    parser.consume(pub, from: &buffer)
                case .op(let op):
                    handle(op)
                }
            }
        } catch let error as NATSProtocolError {
            protocolError(error)
            return
        } catch {
            protocolError(NATSProtocolError(.unknownOperation, offset: parser.offset, "\(error)"))
            return
        }
        if stalled { context.channel.setOption(.autoRead, value: false).whenFailure { _ in } }
        if buffer.readableBytes > 0 {
            if buffer.readerIndex > 65536 { buffer.discardReadBytes() }
            cumulation = buffer
        }
    }

    private func handle(_ op: NATSClientOp) {
        guard let conn = connection else { return }
        if !connected && core.options.authRequired {
            guard case .connect(let json) = op else { return fail("Authorization Violation") }
            return handleConnect(conn, json: json)
        }
        switch op {
        case .pub(let subject, let reply, let payload):
            publish(conn, subject: subject, reply: reply, headers: nil, payload: payload)
        case .hpub(let subject, let reply, let headers, let payload):
            // nats-server closes, without an -ERR, a client that did not declare header support.
            guard self.headers else { return fail(nil) }
            publish(conn, subject: subject, reply: reply, headers: headers, payload: payload)
        case .ping:
            control(conn) { $0.writeNATSPong() }
        case .pong:
            pingsOut = 0
            answeredPing = true
        case .sub(let subject, let queue, let sid):
            subscribe(conn, subject: subject, queue: queue, sid: sid)
        case .unsub(let sid, let max):
            unsubscribe(conn, sid: Array(sid.readableBytesView), max: max)
        case .connect(let json):
            handleConnect(conn, json: json)
        }
    }

    /// A `PUB` without reply, read where it lies in `buffer`: slices of the subject and payload are made
    /// only when someone is subscribed (the dispatch cache compares a repeated subject in place).
    private func publish(_ pub: NATSPublishFrame, in buffer: ByteBuffer) {
        @inline(__always) func slice(_ r: Range<Int>) -> ByteBuffer {
            buffer.getSlice(at: buffer.readerIndex + r.lowerBound, length: r.count) ?? ByteBuffer()
        }
        guard let conn = connection else { return }
        if (!connected && core.options.authRequired) || !useCache {
            return handle(.pub(subject: slice(pub.subject), reply: nil, payload: slice(pub.payload)))
        }
        msgsIn += 1
        bytesIn += pub.payload.count
        if verbose { control(conn) { $0.writeNATSOK() } }
        if pedantic {
            let valid = buffer.withUnsafeReadableBytes {
                NATSSubject.isValidPublish(UnsafeRawBufferPointer(rebasing: $0[pub.subject]))
            }
            if !valid { control(conn) { $0.writeNATSErr("Invalid Publish Subject") } }
        }
        let result = cache.lookup(pub.subject, of: buffer, trie: core.trie)
        if result.isEmpty { return } // no reply subject, so no no-responders answer either
        route(conn, result, subject: slice(pub.subject), reply: nil, headers: nil, payload: slice(pub.payload))
    }

    private func publish(_ conn: BrokerConnection, subject: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer?, payload: ByteBuffer) {
        msgsIn += 1
        bytesIn += payload.readableBytes + (headers?.readableBytes ?? 0)
        if verbose { control(conn) { $0.writeNATSOK() } }
        if pedantic && !NATSSubject.isValidPublish(subject.readableBytesView) {
            control(conn) { $0.writeNATSErr("Invalid Publish Subject") } // nats-server still routes it
        }
        let result: MatchResult
        if useCache {
            result = cache.lookup(subject, trie: core.trie)
        } else {
            result = subject.withUnsafeReadableBytes { core.trie.match($0) }
        }
        route(conn, result, subject: subject, reply: reply, headers: headers, payload: payload)
    }

    /// Delivers to every plain match and to one member of each queue group (round robin, skipping
    /// members that refuse), then answers no-responders when nobody took a request.
    private func route(_ conn: BrokerConnection, _ result: MatchResult, subject: ByteBuffer, reply: ByteBuffer?,
                       headers: ByteBuffer?, payload: ByteBuffer) {
        var delivered = false
        let size = payload.readableBytes + (headers?.readableBytes ?? 0)
        for sub in result.plain {
            if deliver(sub, subject: subject, reply: reply, headers: headers, payload: payload, size: size,
                       publisher: conn) {
                delivered = true
            }
        }
        for group in result.queueGroups {
            roundRobin &+= 1
            let start = roundRobin % group.count
            for k in 0..<group.count {
                if deliver(group[(start + k) % group.count], subject: subject, reply: reply, headers: headers,
                           payload: payload, size: size, publisher: conn) {
                    delivered = true
                    break
                }
            }
        }
        if !delivered, noResponders, let reply { answerNoResponders(conn, reply: reply) }
    }

    /// nats-server's answer to a request nobody took: `HMSG <reply> <sid> 16 16` with status 503 to
    /// the requester's own subscription matching the reply subject (nothing when it has none).
    private func answerNoResponders(_ conn: BrokerConnection, reply: ByteBuffer) {
        let matches = reply.withUnsafeReadableBytes { core.trie.match($0) }
        let own = matches.plain.first { $0.connection === conn }
            ?? matches.queueGroups.joined().first { $0.connection === conn }
        guard let own else { return }
        var status = ByteBuffer()
        status.writeStaticString("NATS/1.0 503\r\n\r\n")
        _ = deliver(own, subject: reply, reply: nil, headers: status, payload: ByteBuffer(), size: 16, publisher: conn,
                    ignoringEcho: true)
    }

    /// Returns whether `sub` took the message.
    private func deliver(_ sub: Subscription, subject: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer?,
                         payload: ByteBuffer, size: Int, publisher: BrokerConnection,
                         ignoringEcho: Bool = false) -> Bool {
        let target = sub.connection
        let from = ignoringEcho ? nil : publisher
        switch target.enqueue(sub, subject: subject, reply: reply, headers: headers, payload: payload,
                              publisher: from) {
        case .dropped:
            return false
        case .slowConsumer:
            slowConsumers += 1
            for s in target.closeAndTakeSubscriptions() { core.trie.remove(s) }
            target.eventLoop.execute { target.closeAsSlowConsumer() }
            return false
        case .delivered(let scheduleFlush, let reachedMax, let stall, let armDeadline):
            handicap.apply()
            msgsOut += 1
            bytesOut += size
            if reachedMax { core.trie.remove(sub) }
            if immediate {
                target.scheduleFlush()
            } else if scheduleFlush {
                touched.append(target)
            }
            if stall { stalled = true }
            if armDeadline {
                let core = self.core
                target.eventLoop.scheduleTask(in: target.writeDeadline) { target.checkWriteDeadline(core: core) }
            }
            return true
        }
    }

    private func subscribe(_ conn: BrokerConnection, subject: ByteBuffer, queue: ByteBuffer?, sid: ByteBuffer) {
        let subjectText = String(buffer: subject)
        guard NATSSubject.isValidSubscribe(subjectText) else {
            control(conn) { $0.writeNATSErr("Invalid Subject") }
            return
        }
        let sidBytes = Array(sid.readableBytesView)
        let sub = Subscription(connection: conn, subject: subjectText, queue: queue.map { String(buffer: $0) }, sid: sidBytes)
        let added = conn.state.withLock { s -> Bool in
            if s.closed || s.subscriptions[sidBytes] != nil { return false }
            s.subscriptions[sidBytes] = sub
            return true
        }
        if added { core.trie.insert(sub) }
        if verbose { control(conn) { $0.writeNATSOK() } }
    }

    private func unsubscribe(_ conn: BrokerConnection, sid: [UInt8], max: Int?) {
        let removeNow: Subscription? = conn.state.withLock { s in
            guard let sub = s.subscriptions[sid] else { return nil }
            if let max, max > 0, sub.delivered < max {
                sub.maxMessages = max
                return nil
            }
            sub.removed = true
            s.subscriptions[sid] = nil
            return sub
        }
        if let removeNow { core.trie.remove(removeNow) }
        if verbose { control(conn) { $0.writeNATSOK() } }
    }

    func control(_ conn: BrokerConnection, _ write: (inout ByteBuffer) -> Void) {
        if conn.enqueueControl(write) {
            touched.append(conn)
        }
        if immediate { flushTouched() }
    }

    /// Sends what is queued and `-ERR 'text'` (none when nil, where nats-server only logs), then closes.
    func fail(_ text: String?) {
        closing = true
        cumulation = nil
        flushTouched()
        connection?.sendErrorAndClose(text)
    }

    /// nats-server's answer to each parser error: an -ERR for an unknown operation, a missing payload
    /// terminator, a payload or control line over the limit; a silent close for bad sizes and arguments.
    private func protocolError(_ error: NATSProtocolError) {
        switch error.kind {
        case .maxPayloadExceeded: fail("Maximum Payload Violation")
        case .controlLineTooLong: fail("maximum control line exceeded") // nats-server 2.9's exact text
        case .unknownOperation, .missingPayloadTerminator: fail("Unknown Protocol Operation")
        case .badSize, .badArguments: fail(nil)
        }
    }

    func flushTouched() {
        if touched.isEmpty { return }
        for conn in touched { conn.scheduleFlush() }
        touched.removeAll(keepingCapacity: true)
    }

    func publishCounts() {
        let c = core.counters
        let (inMsgs, inBytes, last) = (msgsIn, bytesIn, lastRead)
        connection?.state.withLock { s in
            s.inMsgs += inMsgs
            s.inBytes += inBytes
            s.lastActivity = last
        }
        if msgsIn > 0 { c.msgsIn.add(msgsIn, ordering: .relaxed); msgsIn = 0 }
        if bytesIn > 0 { c.bytesIn.add(bytesIn, ordering: .relaxed); bytesIn = 0 }
        if msgsOut > 0 { c.msgsOut.add(msgsOut, ordering: .relaxed); msgsOut = 0 }
        if bytesOut > 0 { c.bytesOut.add(bytesOut, ordering: .relaxed); bytesOut = 0 }
        if slowConsumers > 0 { c.slowConsumers.add(slowConsumers, ordering: .relaxed); slowConsumers = 0 }
        let (h, m, e) = cache.drainCounts()
        if h > 0 { c.cacheHits.add(h, ordering: .relaxed) }
        if m > 0 { c.cacheMisses.add(m, ordering: .relaxed) }
        if e > 0 { c.cacheEvictions.add(e, ordering: .relaxed) }
    }
}
