import HTTPWire
import NIOCore
import NIOPosix

/// What one connection is asked to do in a phase.
struct HTTPLoadPlan: Sendable {
    /// Requests this connection must get answered, or nil to run until `deadline`.
    var quota: Int?
    /// Monotonic nanoseconds after which no new request is sent.
    var deadlineNanos: UInt64?
    /// Open loop: nanoseconds between intended sends, and the first intended send time.
    var intervalNanos: UInt64?
    var startNanos: UInt64
    var record: Bool
}

/// One load connection, confined to its event loop. Keeps up to `pipeline` requests in flight;
/// in closed loop it sends the next request when a response arrives, in open loop when the
/// schedule says so, timing each request from its *intended* send time (coordinated omission
/// corrected, as wrk2 does). Reconnects when the server closes the connection between responses.
final class HTTPLoadConnection: @unchecked Sendable {
    let loop: any EventLoop
    let endpoint: Endpoint
    let recorder: HTTPLoadRecorder
    private let settings: HTTPLoadSettings
    /// `pipeline` copies of the request, back to back; k requests are a slice of it.
    private let batch: ByteBuffer
    private let requestLength: Int

    private var channel: (any Channel)?
    private var parser: HTTPResponseParser
    private var cumulation: ByteBuffer?
    private var plan = HTTPLoadPlan(quota: 0, deadlineNanos: nil, intervalNanos: nil, startNanos: 0, record: false)
    private var promise: EventLoopPromise<Void>?
    /// Send (closed loop) or intended send (open loop) times of requests in flight, oldest first.
    private var inFlight = CircularBuffer<UInt64>(initialCapacity: 16)
    /// Open loop: intended times of requests due but not sent yet.
    private var backlog = CircularBuffer<UInt64>(initialCapacity: 16)
    private var issued = 0
    private var resolved = 0
    private var toSend = 0
    private var serverWillClose = false
    private var timer: Scheduled<Void>?
    private var watchdog: Scheduled<Void>?
    private var lastProgressNanos: UInt64 = 0


    init(loop: any EventLoop, endpoint: Endpoint, settings: HTTPLoadSettings, recorder: HTTPLoadRecorder) {
        self.loop = loop
        self.endpoint = endpoint
        self.settings = settings
        self.recorder = recorder
        let one = settings.encodedRequest(for: endpoint)
        requestLength = one.readableBytes
        var batch = ByteBuffer()
        for _ in 0..<settings.pipeline { batch.writeImmutableBuffer(one) }
        self.batch = batch
        parser = HTTPResponseParser(headRequests: settings.method == "HEAD")
    }

    // MARK: connecting

    func connect() -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        let handler = NIOLoopBound(self, eventLoop: loop)
        return ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTPLoadChannelHandler(owner: handler.value))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .map { channel in
                handler.value.channel = channel
                handler.value.parser = HTTPResponseParser(headRequests: handler.value.settings.method == "HEAD")
                handler.value.cumulation = nil
                handler.value.serverWillClose = false
            }
    }

    func close() -> EventLoopFuture<Void> {
        timer?.cancel()
        watchdog?.cancel()
        promise?.succeed()
        promise = nil
        guard let channel else { return loop.makeSucceededVoidFuture() }
        self.channel = nil
        return channel.close().recover { _ in }
    }

    // MARK: running a phase

    /// Runs `plan` on this connection; the future completes when every issued request is resolved.
    func run(_ plan: HTTPLoadPlan) -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        self.plan = plan
        issued = 0
        resolved = 0
        toSend = 0
        inFlight.removeAll(keepingCapacity: true)
        backlog.removeAll(keepingCapacity: true)
        let promise = loop.makePromise(of: Void.self)
        self.promise = promise
        if plan.quota == 0 {
            finish()
            return promise.futureResult
        }
        lastProgressNanos = monotonicNanos()
        armWatchdog()
        if plan.intervalNanos != nil {
            openLoopTick()
        } else {
            toSend = min(settings.pipeline, remainingToIssue)
            sendPending()
        }
        return promise.futureResult
    }

    private var remainingToIssue: Int { remainingToIssue(at: monotonicNanos()) }

    /// Requests still to issue, with the deadline checked against `now` (a time the caller has read).
    private func remainingToIssue(at now: UInt64) -> Int {
        if let quota = plan.quota { return quota - issued - (plan.intervalNanos == nil ? toSend : 0) }
        if let deadline = plan.deadlineNanos, now >= deadline { return 0 }
        return Int.max
    }

    private var done: Bool {
        guard inFlight.isEmpty, backlog.isEmpty, toSend == 0 else { return false }
        if let quota = plan.quota { return issued >= quota }
        if let deadline = plan.deadlineNanos { return monotonicNanos() >= deadline }
        return false
    }

    private func finish() {
        timer?.cancel()
        watchdog?.cancel()
        timer = nil
        watchdog = nil
        promise?.succeed()
        promise = nil
    }

    /// Periodically: ends the phase when it is done (a duration that ran out with nothing in
    /// flight) or when requests have waited the `timeout` parameter without any response (a stalled
    /// server), counting those requests as lost.
    private func armWatchdog() {
        let bound = NIOLoopBound(self, eventLoop: loop)
        let timeout = settings.responseTimeoutSeconds
        watchdog = loop.scheduleTask(in: .nanoseconds(Int64(min(1, timeout / 4) * 1e9))) {
            let me = bound.value
            guard me.promise != nil else { return }
            if me.done {
                me.finish()
                return
            }
            let waiting = me.inFlight.count + me.backlog.count
            if waiting > 0, Double(monotonicNanos() - me.lastProgressNanos) > timeout * 1e9 {
                if me.plan.record { me.recorder.error("no response within timeout \(timeout)s", count: waiting) }
                me.inFlight.removeAll()
                me.backlog.removeAll()
                me.toSend = 0
                me.plan.quota = me.plan.quota.map { _ in me.issued }
                me.plan.deadlineNanos = me.plan.deadlineNanos.map { min($0, monotonicNanos()) }
                me.finish()
                return
            }
            me.armWatchdog()
        }
    }

    /// Writes `toSend` requests as one slice of the batch.
    private func sendPending() {
        guard toSend > 0, let channel, !serverWillClose else { return }
        let now = monotonicNanos()
        if recorder.firstSendNanos == .max, plan.record { recorder.firstSendNanos = now }
        var k = 0
        if plan.intervalNanos != nil {
            while k < toSend, let intended = backlog.popFirst() {
                inFlight.append(intended)
                k += 1
            }
        } else {
            k = toSend
            for _ in 0..<k { inFlight.append(now) }
            issued += k
        }
        toSend = 0
        guard k > 0, let slice = batch.getSlice(at: batch.readerIndex, length: k * requestLength) else { return }
        channel.writeAndFlush(slice, promise: nil)
    }

    // MARK: open loop

    private func openLoopTick() {
        guard promise != nil, let interval = plan.intervalNanos else { return }
        let now = monotonicNanos()
        var nextDue = plan.startNanos &+ UInt64(issued) &* interval
        while nextDue <= now, remainingToIssue > 0 {
            if let deadline = plan.deadlineNanos, nextDue >= deadline { break }
            backlog.append(nextDue)
            issued += 1
            nextDue = plan.startNanos &+ UInt64(issued) &* interval
        }
        toSend = min(backlog.count, settings.pipeline - inFlight.count)
        sendPending()
        let stillScheduling = remainingToIssue > 0 && (plan.deadlineNanos.map { nextDue < $0 } ?? true)
        if stillScheduling {
            let bound = NIOLoopBound(self, eventLoop: loop)
            timer = loop.scheduleTask(deadline: .uptimeNanoseconds(nextDue)) { bound.value.openLoopTick() }
        } else if plan.deadlineNanos != nil {
            plan.deadlineNanos = min(plan.deadlineNanos ?? .max, now)
            if done { finish() }
        } else if done {
            finish()
        }
    }

    // MARK: responses (called by the channel handler)

    func channelRead(_ incoming: ByteBuffer) {
        var buffer = incoming
        if var c = cumulation {
            c.writeImmutableBuffer(buffer)
            buffer = c
            cumulation = nil
        }
        let now = monotonicNanos()
        lastProgressNanos = now
        do {
            while let response = try parser.next(&buffer) {
                handleResponse(response, at: now)
            }
        } catch {
            protocolError(error)
            return
        }
        if buffer.readableBytes > 0 { cumulation = buffer }
    }

    func channelReadComplete() {
        sendPending()
        if promise != nil, done { finish() }
    }

    private func handleResponse(_ response: HTTPResponse, at now: UInt64) {
        guard let sent = inFlight.popFirst() else {
            if plan.record { recorder.error("response without a request") }
            return
        }
        resolved += 1
        if plan.record {
            recorder.lastReceiveNanos = now
            if response.status != settings.expectedStatus {
                recorder.error("status \(response.status)")
            } else if let length = settings.expectedLength, response.bodyLength != length {
                recorder.error("body length \(response.bodyLength), expected \(length)")
            } else {
                recorder.answered += 1
                _ = recorder.histogram.record(now > sent ? now - sent : 0)
            }
        }
        if response.closesConnection {
            serverWillClose = true
        }
        if plan.intervalNanos != nil {
            toSend = min(backlog.count, settings.pipeline - inFlight.count)
        } else if !serverWillClose, remainingToIssue(at: now) > 0 {
            toSend += 1
        }
    }

    private func protocolError(_ error: HTTPParseError) {
        if plan.record { recorder.error("bad response: \(error.kind.rawValue)") }
        lose(reason: "connection closed after a bad response")
        channel?.close(promise: nil)
    }

    /// Counts requests in flight as lost.
    private func lose(reason: String) {
        let lost = inFlight.count
        if lost > 0, plan.record { recorder.error(reason, count: lost) }
        inFlight.removeAll()
    }

    func channelInactive() {
        if let response = try? parser.finish() {
            handleResponse(response, at: monotonicNanos())
        }
        channel = nil
        guard promise != nil else { return }
        if plan.intervalNanos == nil { toSend = 0 }
        if serverWillClose {
            // The server announced the close: requests after that response were never processed,
            // so they are sent again on a new connection.
            if plan.intervalNanos != nil {
                while let t = inFlight.popLast() { backlog.prepend(t) }
            } else {
                issued -= inFlight.count
                inFlight.removeAll()
            }
        } else {
            lose(reason: "connection closed by the server with requests unanswered")
        }
        if done {
            finish()
            return
        }
        let bound = NIOLoopBound(self, eventLoop: loop)
        connect().whenComplete { result in
            let me = bound.value
            switch result {
            case .success:
                if me.plan.intervalNanos != nil {
                    me.toSend = min(me.backlog.count, me.settings.pipeline)
                } else {
                    me.toSend = min(me.settings.pipeline, me.remainingToIssue)
                }
                me.sendPending()
                if me.done { me.finish() }
            case .failure(let error):
                if me.plan.record { me.recorder.error("reconnect failed: \(error)") }
                me.backlog.removeAll()
                me.finish()
            }
        }
    }
}

/// Feeds a connection's bytes and events to its `HTTPLoadConnection`.
final class HTTPLoadChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let owner: HTTPLoadConnection

    init(owner: HTTPLoadConnection) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner.channelRead(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner.channelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        owner.channelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
