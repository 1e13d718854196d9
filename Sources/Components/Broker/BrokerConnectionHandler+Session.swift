import Foundation
import NATSWire
import NIOCore

/// The session side of a connection, as nats-server runs it: CONNECT and its options,
/// authentication (user/pass or token, with a timeout), server PINGs and stale connections.
extension BrokerConnectionHandler {
    /// Arms the authentication timeout and the PING timer; called once the INFO is queued.
    func startSession(_ context: ChannelHandlerContext) {
        let options = core.options
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        if options.authRequired {
            timers.append(context.eventLoop.scheduleTask(in: Self.amount(options.authTimeout)) {
                let handler = loopBound.value
                if !handler.connected && !handler.closing { handler.fail("Authentication Timeout") }
            })
        }
        guard options.pingInterval > 0 else { return }
        // nats-server sends the first PING after at most 2s, plus up to 20% so clients spread out.
        let first = min(options.pingInterval, 2) * Double.random(in: 1...1.2)
        pingTask = context.eventLoop.scheduleRepeatedTask(
            initialDelay: Self.amount(first), delay: Self.amount(options.pingInterval)
        ) { _ in loopBound.value.pingTimer() }
    }

    func endSession() {
        for t in timers { t.cancel() }
        timers.removeAll()
        pingTask?.cancel()
        pingTask = nil
    }

    /// One tick of the PING timer, as nats-server's `processPingTimer`: a client that answered a
    /// PING before and was heard from within the interval is left alone; one with `max-pings`
    /// unanswered is closed with `-ERR 'Stale Connection'`.
    private func pingTimer() {
        guard let conn = connection, !closing else { return }
        let interval = Self.amount(core.options.pingInterval)
        if answeredPing && NIODeadline.now() - lastRead < interval { return }
        if pingsOut + 1 > core.options.maxPings { return fail("Stale Connection") }
        pingsOut += 1
        control(conn) { $0.writeNATSPing() }
        flushTouched()
    }

    /// `CONNECT {json}`: options, credentials and the no-responders request.
    func handleConnect(_ conn: BrokerConnection, json: ByteBuffer) {
        // nats-server closes, without an -ERR, on a CONNECT that is not a JSON object.
        let parsed = try? JSONSerialization.jsonObject(with: Data(json.readableBytesView))
        guard let object = parsed as? [String: Any] else { return fail(nil) }
        let options = core.options
        if options.authRequired {
            let ok: Bool
            if options.token.isEmpty {
                ok = object["user"] as? String == options.user && object["pass"] as? String == options.password
            } else {
                ok = object["auth_token"] as? String == options.token
            }
            guard ok else { return fail("Authorization Violation") }
        }
        connected = true
        if let v = object["verbose"] as? Bool { verbose = v }
        if let v = object["pedantic"] as? Bool { pedantic = v }
        let echo = object["echo"] as? Bool
        if let h = object["headers"] as? Bool { headers = h }
        if let n = object["no_responders"] as? Bool { noResponders = n }
        if noResponders && !headers { return fail("no responders requires headers support") }
        let headers = self.headers
        let name = object["name"] as? String ?? "", lang = object["lang"] as? String ?? ""
        let version = object["version"] as? String ?? ""
        let proto = object["protocol"] as? Int ?? 0
        conn.state.withLock { s in
            if let echo { s.echo = echo }
            s.headers = headers
            (s.name, s.lang, s.version, s.proto) = (name, lang, version, proto)
        }
        if verbose { control(conn) { $0.writeNATSOK() } }
    }

    static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
}
