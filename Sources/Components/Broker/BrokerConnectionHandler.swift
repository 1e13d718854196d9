import ComponentKit
import Foundation
import NATSWire
import NIOCore

/// Reads one client connection: parses its operations straight out of the read buffers and routes
/// each `PUB` while it is parsed. Deliveries to other connections are queued on them and flushed once
/// per read batch (`flush=batched`) or after each message (`flush=immediate`).
final class BrokerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let core: BrokerCore
    // Per-message state, confined to this channel's event loop: the dynamic exclusivity check that
    // Swift performs on every access to a class's stored property is switched off for it.
    @exclusivity(unchecked) private var connection: BrokerConnection?
    @exclusivity(unchecked) private var parser: NATSClientOpParser
    @exclusivity(unchecked) private var cumulation: ByteBuffer?
    @exclusivity(unchecked) private var cache: DispatchCache
    @exclusivity(unchecked) private var touched: [BrokerConnection] = []
    @exclusivity(unchecked) private var verbose = true
    @exclusivity(unchecked) private var pedantic = true
    @exclusivity(unchecked) private var closing = false
    @exclusivity(unchecked) private var roundRobin = 0
    @exclusivity(unchecked) private var msgsIn = 0, bytesIn = 0, msgsOut = 0, bytesOut = 0, slowConsumers = 0
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
        let conn = BrokerConnection(id: id, channel: context.channel, maxPending: core.options.maxPending)
        connection = conn
        core.counters.connections.add(1, ordering: .relaxed)
        core.counters.totalConnections.add(1, ordering: .relaxed)
        let ip = context.channel.remoteAddress?.ipAddress ?? ""
        let info = core.infoJSON(clientID: id, clientIP: ip)
        _ = conn.enqueueControl { $0.writeNATSInfo(json: info) }
        conn.flushNow()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let conn = connection {
            for sub in conn.closeAndTakeSubscriptions() { core.trie.remove(sub) }
            core.counters.connections.add(-1, ordering: .relaxed)
        }
        publishCounts()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if closing { return }
        var incoming = unwrapInboundIn(data)
        if var acc = cumulation {
            cumulation = nil
            acc.writeBuffer(&incoming)
            process(&acc)
        } else {
            process(&incoming)
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

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func process(_ buffer: inout ByteBuffer) {
        // A local copy spares a dynamic exclusivity check on the stored property per operation.
        var parser = self.parser
        defer { self.parser = parser }
        do {
            while !closing, let op = try parser.next(&buffer) {
                handle(op)
            }
        } catch let error as NATSProtocolError {
            protocolError(error)
            return
        } catch {
            protocolError(NATSProtocolError(.unknownOperation, offset: parser.offset, "\(error)"))
            return
        }
        if buffer.readableBytes > 0 {
            if buffer.readerIndex > 65536 { buffer.discardReadBytes() }
            cumulation = buffer
        }
    }

    private func handle(_ op: NATSClientOp) {
        guard let conn = connection else { return }
        switch op {
        case .pub(let subject, let reply, let payload):
            publish(conn, subject: subject, reply: reply, headers: nil, payload: payload)
        case .hpub(let subject, let reply, let headers, let payload):
            publish(conn, subject: subject, reply: reply, headers: headers, payload: payload)
        case .ping:
            control(conn) { $0.writeNATSPong() }
        case .pong:
            break
        case .sub(let subject, let queue, let sid):
            subscribe(conn, subject: subject, queue: queue, sid: sid)
        case .unsub(let sid, let max):
            unsubscribe(conn, sid: Array(sid.readableBytesView), max: max)
        case .connect(let json):
            connect(conn, json: json)
        }
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
        if result.isEmpty { return }
        let size = payload.readableBytes + (headers?.readableBytes ?? 0)
        for sub in result.plain {
            _ = deliver(sub, subject: subject, reply: reply, headers: headers, payload: payload, size: size, publisher: conn)
        }
        for group in result.queueGroups {
            roundRobin &+= 1
            let start = roundRobin % group.count
            for k in 0..<group.count {
                if deliver(group[(start + k) % group.count], subject: subject, reply: reply, headers: headers,
                           payload: payload, size: size, publisher: conn) { break }
            }
        }
    }

    /// Returns whether `sub` took the message.
    private func deliver(_ sub: Subscription, subject: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer?,
                         payload: ByteBuffer, size: Int, publisher: BrokerConnection) -> Bool {
        let target = sub.connection
        switch target.enqueue(sub, subject: subject, reply: reply, headers: headers, payload: payload, publisher: publisher) {
        case .dropped:
            return false
        case .slowConsumer:
            slowConsumers += 1
            for s in target.closeAndTakeSubscriptions() { core.trie.remove(s) }
            target.eventLoop.execute { target.closeAsSlowConsumer() }
            return false
        case .delivered(let scheduleFlush, let reachedMax):
            handicap.apply()
            msgsOut += 1
            bytesOut += size
            if reachedMax { core.trie.remove(sub) }
            if immediate {
                target.scheduleFlush()
            } else if scheduleFlush {
                touched.append(target)
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

    private func connect(_ conn: BrokerConnection, json: ByteBuffer) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.readableBytesView)) as? [String: Any] else {
            protocolError(NATSProtocolError(.badArguments, offset: parser.offset, "CONNECT argument is not a JSON object"))
            return
        }
        if let v = object["verbose"] as? Bool { verbose = v }
        if let v = object["pedantic"] as? Bool { pedantic = v }
        let echo = object["echo"] as? Bool
        let headers = object["headers"] as? Bool
        conn.state.withLock { s in
            if let echo { s.echo = echo }
            if let headers { s.headers = headers }
        }
        if verbose { control(conn) { $0.writeNATSOK() } }
    }

    private func control(_ conn: BrokerConnection, _ write: (inout ByteBuffer) -> Void) {
        if conn.enqueueControl(write) {
            touched.append(conn)
        }
        if immediate { flushTouched() }
    }

    private func protocolError(_ error: NATSProtocolError) {
        closing = true
        cumulation = nil
        flushTouched()
        let text: String
        switch error.kind {
        case .maxPayloadExceeded: text = "Maximum Payload Violation"
        case .controlLineTooLong: text = "maximum control line exceeded" // nats-server 2.9's exact text
        default: text = "Unknown Protocol Operation"
        }
        connection?.sendErrorAndClose(text)
    }

    private func flushTouched() {
        if touched.isEmpty { return }
        for conn in touched { conn.scheduleFlush() }
        touched.removeAll(keepingCapacity: true)
    }

    private func publishCounts() {
        let c = core.counters
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
