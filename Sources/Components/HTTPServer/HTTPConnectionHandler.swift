import HTTPWire
import NIOCore

/// Serves one connection: parses requests with `HTTPRequestParser`, routes them, writes responses in
/// request order (pipelining), applies keep-alive, `max-requests`, timeouts and error answers.
///
/// The parser runs inside this handler rather than in a `ByteToMessageHandler` in front of it: a
/// request head is larger than `NIOAny`'s inline storage, so passing it down the pipeline would box
/// (allocate) once per request. Bytes that arrive while a response is deferred (`/delay`, a streamed
/// body) wait unparsed in `cumulation` and are parsed when it completes.
///
/// With `buffer-pool` on, all responses produced by one read are appended to one reused output
/// buffer and written with one write at `channelReadComplete` (or as soon as it holds
/// `outboundBatchBytes`); fixed routes copy pre-encoded bytes, so steady-state keep-alive traffic
/// allocates nothing per request. With it off, every response is encoded into a freshly allocated
/// buffer and written on its own.
///
/// Back-pressure: parsing stops while the channel is not writable (more than its high watermark of
/// output waits for the socket) and resumes on `channelWritabilityChanged`; while parsing is stopped
/// with bytes left unparsed, reads are held back (`read(context:)`), so a client that pipelines
/// requests and never reads costs one read's worth of input and one watermark's worth of output.
///
/// Timers run from one tick. The idle and linger times count from when the output has been handed to
/// the kernel, never from when it was queued; `send-timeout` closes a connection whose queued output
/// made no progress for that long; `body-timeout` answers 408 when a body receives no bytes for that long.
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case idle(since: NIODeadline)
        case readingHead(since: NIODeadline)
        /// A head arrived, its body has not; `since` is when body bytes last arrived.
        case readingBody(since: NIODeadline)
        case inRequest
        /// A final response is queued; the output is shut down once its last byte has been written.
        case finishing
        /// Output shut down after a final response; input is drained until EOF or the linger time.
        case lingering(since: NIODeadline)
    }

    private struct Stream {
        var remaining: Int
        var chunked: Bool
        var keepAlive: Bool
    }

    private let options: HTTPServerOptions
    private let shard: HTTPLoopShard
    private var counters: HTTPServerCounters { shard.counters }
    private var context: ChannelHandlerContext?

    private var parser: HTTPRequestParser
    private var cumulation = ByteBuffer()
    private var phase = Phase.idle(since: .now())
    private var head: HTTPRequestHead?
    private var route = HTTPRoute.notFound
    private var body = ByteBuffer()
    private var requestsSeen = 0
    private var responsesStarted = 0
    private var outbound = ByteBuffer()
    private var needsFlush = false
    /// A response is deferred (delay, streamed body); later bytes wait in `cumulation`.
    private var busy = false
    private var parsing = false
    private var closing = false
    private var closeWhenDone = false
    /// Parsing stopped because the channel is not writable.
    private var outputBlocked = false
    /// A read was held back while input waited unparsed.
    private var readPending = false
    /// The peer closed its output (half-close or EOF).
    private var inputEnded = false
    private var stream: Stream?
    private var timer: Scheduled<Void>?
    /// Bytes handed to the channel so far; minus the channel's buffered bytes, the bytes sent.
    private var bytesQueued = 0
    private var bytesSentAtLastTick = 0
    /// When queued output last made progress (nil while nothing is queued).
    private var outputProgressAt: NIODeadline?

    private static let lingerSeconds = 2.0
    /// Pooled output is written once it holds this much, so one read cannot build a huge buffer.
    private static let outboundBatchBytes = 64 * 1024
    private static let continueLine = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")
    private static let crlf = ByteBuffer(string: "\r\n")
    private static let lastChunk = ByteBuffer(string: "0\r\n\r\n")

    init(options: HTTPServerOptions, shard: HTTPLoopShard) {
        self.options = options
        self.shard = shard
        self.parser = HTTPRequestParser(limits: options.limits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        outbound = context.channel.allocator.buffer(capacity: 4096)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        counters.connections += 1
        counters.totalConnections += 1
        phase = .idle(since: .now())
        scheduleTick(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        counters.connections -= 1
        timer?.cancel()
        timer = nil
        stream = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputEnded = true
            if case .lingering = phase {
                context.close(promise: nil)
            } else if busy || outputBlocked {
                closeWhenDone = true
            } else if !closing {
                closeAfterFlush(context)
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if case .idle = phase { phase = .readingHead(since: .now()) }
        if closing { return }
        if busy || cumulation.readableBytes > 0 {
            if cumulation.readableBytes == 0 {
                Self.reset(&cumulation, context)
            } else if cumulation.readerIndex > 65536 {
                cumulation.discardReadBytes()
            }
            cumulation.writeBuffer(&incoming)
            if !busy { parse(&cumulation, context) }
            if cumulation.readableBytes == 0, cumulation.capacity > Self.retainedCapacity { cumulation = ByteBuffer() }
        } else {
            parse(&incoming, context)
            if incoming.readableBytes > 0, !closing {
                Self.reset(&cumulation, context)
                cumulation.writeBuffer(&incoming)
            }
        }
    }

    /// Parses and handles requests until the bytes run out, a response is deferred, or the
    /// connection is closing. Not re-entered: a deferred response that completes while requests are
    /// being handled (a streamed body that fits the socket at once) lets the running loop go on.
    private func parse(_ buffer: inout ByteBuffer, _ context: ChannelHandlerContext) {
        guard !parsing else { return }
        parsing = true
        defer { parsing = false }
        while !busy, !closing {
            if outputBacklogged(context) {
                outputBlocked = true
                counters.backpressurePauses += 1
                return
            }
            do {
                guard let part = try parser.next(&buffer) else {
                    // A partial next request that arrived with the previous one: its head timer starts now.
                    if case .idle = phase, buffer.readableBytes > 0 { phase = .readingHead(since: .now()) }
                    return
                }
                handle(part, context)
            } catch {
                answerError(error, context)
                return
            }
        }
    }

    /// Writes pooled output once a batch is full; true when the channel holds more than its high
    /// watermark even after a flush, so parsing must wait for `channelWritabilityChanged`.
    private func outputBacklogged(_ context: ChannelHandlerContext) -> Bool {
        if outbound.readableBytes >= Self.outboundBatchBytes { flushOutbound(context) }
        guard !context.channel.isWritable else { return false }
        flushOutbound(context)
        return !context.channel.isWritable
    }

    /// Input is waiting unparsed (a deferred response or blocked output): reads are held back.
    private var holdsInput: Bool {
        !closing && (busy || outputBlocked) && cumulation.readableBytes > 0
    }

    func read(context: ChannelHandlerContext) {
        if holdsInput {
            readPending = true
        } else {
            context.read()
        }
    }

    /// Parses what waited while parsing was stopped, then lets held-back reads through.
    private func resumeInput(_ context: ChannelHandlerContext) {
        if !busy, !closing, !parsing, cumulation.readableBytes > 0 {
            parse(&cumulation, context)
            if cumulation.readableBytes == 0, cumulation.capacity > Self.retainedCapacity { cumulation = ByteBuffer() }
        }
        flushOutbound(context)
        if closeWhenDone, !busy, !outputBlocked, !closing {
            closeAfterFlush(context)
            return
        }
        if readPending, !holdsInput {
            readPending = false
            context.read()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushOutbound(context)
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if stream != nil {
                continueStream(context)
            } else if outputBlocked {
                outputBlocked = false
                resumeInput(context)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: requests

    private func handle(_ part: HTTPServerRequestPart, _ context: ChannelHandlerContext) {
        switch part {
        case .head(let h):
            phase = h.framing == .none || h.framing == .contentLength(0) ? .inRequest : .readingBody(since: .now())
            requestsSeen += 1
            counters.requests += 1
            if requestsSeen > 1 { counters.keepAliveReuses += 1 }
            route = HTTPRoute(h, maxBytes: options.maxBytesRoute, maxDelay: options.maxDelayMilliseconds)
            if case .echo = route {
                if options.bufferPool {
                    Self.reset(&body, context)
                } else {
                    body = context.channel.allocator.buffer(capacity: 0)
                }
            }
            // RFC 9110 §10.1.1: never send 100 Continue to an HTTP/1.0 client.
            if h.expectContinue, h.framing != .none, h.version != .http1_0 {
                withResponseBuffer(context) { $0.writeImmutableBuffer(Self.continueLine) }
            }
            head = h
        case .body(var bytes):
            phase = .readingBody(since: .now())
            counters.bodyBytesReceived += bytes.readableBytes
            if case .echo = route { body.writeBuffer(&bytes) }
        case .end:
            respond(context)
        }
    }

    private func respond(_ context: ChannelHandlerContext) {
        guard let h = head else { return }
        head = nil
        phase = .inRequest
        responsesStarted += 1
        let max = options.maxRequestsPerConnection
        let keepAlive = options.keepAlive && h.keepAlive && (max == 0 || responsesStarted < max)
        let http10 = h.version == .http1_0
        let bodiless = h.method == "HEAD"
        switch route {
        case .plaintext, .json:
            guard h.method == "GET" || bodiless else {
                writeSimple(405, "\(h.path) answers GET and HEAD, not \(h.method)\n", keepAlive: keepAlive, http10: http10, context)
                break
            }
            writeStatic(route == .plaintext ? HTTPStaticResponses.plaintext : HTTPStaticResponses.json, keepAlive: keepAlive, http10: http10, bodiless: bodiless, context)
        case .echo:
            counters.responses2xx += 1
            withResponseBuffer(context) { out in
                HTTPResponseEncoder.writeHead(into: &out, status: 200, contentType: "application/octet-stream", contentLength: body.readableBytes, keepAlive: keepAlive, http10: http10)
                out.writeImmutableBuffer(shard.currentDateLine())
                HTTPResponseEncoder.writeEndOfHead(into: &out)
                if !bodiless { out.writeImmutableBuffer(body) }
            }
            if body.capacity > Self.retainedCapacity { body = ByteBuffer() }
        case .bytes(let count, let chunked):
            counters.responses2xx += 1
            withResponseBuffer(context) { out in
                HTTPResponseEncoder.writeHead(into: &out, status: 200, contentType: "application/octet-stream", contentLength: chunked ? nil : count, keepAlive: keepAlive, http10: http10)
                out.writeImmutableBuffer(shard.currentDateLine())
                HTTPResponseEncoder.writeEndOfHead(into: &out)
                if !chunked, !bodiless, count <= 16 * 1024 {
                    out.writeImmutableBuffer(HTTPStaticResponses.fill.getSlice(at: 0, length: count) ?? ByteBuffer())
                } else if chunked, !bodiless, count == 0 {
                    out.writeImmutableBuffer(Self.lastChunk)
                }
            }
            if bodiless || count == 0 || (!chunked && count <= 16 * 1024) { break }
            flushOutbound(context)
            busy = true
            stream = Stream(remaining: count, chunked: chunked, keepAlive: keepAlive)
            continueStream(context)
            return
        case .delay(let ms):
            busy = true
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(ms))) { [self] in
                guard let context = self.context, self.busy else { return }
                self.counters.responses2xx += 1
                self.withResponseBuffer(context) { out in
                    HTTPResponseEncoder.writeHead(into: &out, status: 200, contentType: "text/plain", contentLength: 0, keepAlive: keepAlive, http10: http10)
                    out.writeImmutableBuffer(self.shard.currentDateLine())
                    HTTPResponseEncoder.writeEndOfHead(into: &out)
                }
                self.finishDeferred(keepAlive: keepAlive, context)
            }
            return
        case .notFound:
            writeSimple(404, "no route for \(h.path); routes: /plaintext /json /echo /bytes/N /delay/MS\n", keepAlive: keepAlive, http10: http10, context)
        case .badRequest(let message):
            writeSimple(400, message + "\n", keepAlive: keepAlive, http10: http10, context)
        }
        finishResponse(keepAlive: keepAlive, context)
    }

    private func finishResponse(keepAlive: Bool, _ context: ChannelHandlerContext) {
        if keepAlive {
            phase = .idle(since: .now())
        } else {
            closeAfterFlush(context)
        }
    }

    /// Ends a delayed or streamed response and replays the requests that arrived meanwhile.
    private func finishDeferred(keepAlive: Bool, _ context: ChannelHandlerContext) {
        busy = false
        finishResponse(keepAlive: keepAlive, context)
        resumeInput(context)
    }

    // MARK: writing

    private func withResponseBuffer(_ context: ChannelHandlerContext, _ write: (inout ByteBuffer) -> Void) {
        if options.bufferPool {
            if outbound.readableBytes == 0 { Self.reset(&outbound, context) }
            write(&outbound)
        } else {
            var fresh = context.channel.allocator.buffer(capacity: 256)
            write(&fresh)
            send(fresh, context)
        }
        needsFlush = true
    }

    /// Empties a reused buffer in place, or replaces it when a large message grew it, so a connection
    /// does not keep megabytes after one big request.
    private static func reset(_ buffer: inout ByteBuffer, _ context: ChannelHandlerContext) {
        if buffer.capacity > retainedCapacity {
            buffer = context.channel.allocator.buffer(capacity: 4096)
        } else {
            buffer.clear()
        }
    }

    private static let retainedCapacity = 256 * 1024

    private func flushOutbound(_ context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        if outbound.readableBytes > 0 {
            send(outbound, context)
            outbound.moveReaderIndex(to: outbound.writerIndex)
            if outbound.capacity > Self.retainedCapacity { outbound = ByteBuffer() }
        }
        context.flush()
    }

    /// Every write goes through here, so `bytesQueued` counts what the channel was given.
    private func send(_ buffer: ByteBuffer, _ context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        bytesQueued += buffer.readableBytes
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    private func writeStatic(_ response: HTTPStaticResponses.Variants, keepAlive: Bool, http10: Bool, bodiless: Bool, _ context: ChannelHandlerContext) {
        counters.responses2xx += 1
        if options.bufferPool {
            withResponseBuffer(context) { out in
                out.writeImmutableBuffer(response.head(keepAlive: keepAlive, http10: http10))
                out.writeImmutableBuffer(shard.currentDateLine())
                HTTPResponseEncoder.writeEndOfHead(into: &out)
                if !bodiless { out.writeImmutableBuffer(response.body) }
            }
        } else {
            withResponseBuffer(context) { out in
                let contentType = route == .json ? "application/json" : "text/plain"
                HTTPResponseEncoder.writeHead(into: &out, status: 200, contentType: contentType, contentLength: response.body.readableBytes, keepAlive: keepAlive, http10: http10)
                out.writeImmutableBuffer(shard.currentDateLine())
                HTTPResponseEncoder.writeEndOfHead(into: &out)
                if !bodiless { out.writeString(String(buffer: response.body)) }
            }
        }
    }

    private func writeSimple(_ status: Int, _ text: String, keepAlive: Bool, http10: Bool, _ context: ChannelHandlerContext) {
        counters.countError(status)
        withResponseBuffer(context) { out in
            let extra: [(String, String)] = status == 405 ? [("Allow", "GET, HEAD")] : []
            HTTPResponseEncoder.writeHead(into: &out, status: status, contentType: "text/plain", contentLength: text.utf8.count, keepAlive: keepAlive, http10: http10, extraHeaders: extra)
            out.writeImmutableBuffer(shard.currentDateLine())
            HTTPResponseEncoder.writeEndOfHead(into: &out)
            out.writeString(text)
        }
    }

    private func answerError(_ error: HTTPParseError, _ context: ChannelHandlerContext) {
        writeSimple(error.status, "\(error.status) \(HTTPResponseEncoder.reason(error.status)): \(error.detail)\n", keepAlive: false, http10: false, context)
        closeAfterFlush(context)
    }

    /// Writes what is pending and, once its last byte has been written (not merely queued), closes:
    /// fully when the peer has closed its side, otherwise by shutting the output down and draining
    /// input until the client closes (or the linger time passes), so unread request bytes do not
    /// reset the connection before the client has read the final response. Meanwhile only
    /// `send-timeout` can end the connection.
    private func closeAfterFlush(_ context: ChannelHandlerContext) {
        closing = true
        phase = .finishing
        readPending = false
        if options.bufferPool, outbound.readableBytes > 0 {
            send(outbound, context)
            outbound.moveReaderIndex(to: outbound.writerIndex)
        }
        needsFlush = false
        let written = context.eventLoop.makePromise(of: Void.self)
        send(ByteBuffer(), context, promise: written)
        context.flush()
        context.read()
        written.futureResult.assumeIsolated().whenComplete { [self] result in
            guard let context = self.context else { return }
            if case .failure = result { return context.close(promise: nil) }
            if self.inputEnded {
                context.close(promise: nil)
            } else {
                self.phase = .lingering(since: .now())
                context.close(mode: .output, promise: nil)
            }
        }
    }

    private func continueStream(_ context: ChannelHandlerContext) {
        while var s = stream, context.channel.isWritable {
            let n = min(s.remaining, HTTPStaticResponses.fill.readableBytes)
            if s.chunked {
                var header = context.channel.allocator.buffer(capacity: 16)
                HTTPResponseEncoder.writeChunkHeader(into: &header, size: n)
                send(header, context)
            }
            send(HTTPStaticResponses.fill.getSlice(at: 0, length: n) ?? ByteBuffer(), context)
            if s.chunked { send(Self.crlf, context) }
            s.remaining -= n
            if s.remaining == 0 {
                if s.chunked { send(Self.lastChunk, context) }
                stream = nil
                needsFlush = true
                finishDeferred(keepAlive: s.keepAlive, context)
                return
            }
            stream = s
        }
        context.flush()
    }

    // MARK: timeouts

    private func scheduleTick(_ context: ChannelHandlerContext) {
        let shortest = min(options.idleTimeoutSeconds, options.headerTimeoutSeconds, options.bodyTimeoutSeconds,
                           options.sendTimeoutSeconds, Self.lingerSeconds)
        let interval = Swift.max(0.005, Swift.min(1.0, shortest / 4))
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(interval * 1e9))) { [self] in
            guard let context = self.context, context.channel.isActive else { return }
            self.tick(context)
            self.scheduleTick(context)
        }
    }

    private func tick(_ context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        func elapsed(_ since: NIODeadline) -> Double { Double((now - since).nanoseconds) / 1e9 }
        let buffered = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        let sent = bytesQueued - buffered
        if buffered == 0 {
            outputProgressAt = nil
        } else if sent > bytesSentAtLastTick || outputProgressAt == nil {
            outputProgressAt = now
        }
        bytesSentAtLastTick = sent
        if let since = outputProgressAt, elapsed(since) > options.sendTimeoutSeconds {
            counters.sendTimeouts += 1
            closing = true
            context.close(promise: nil)
            return
        }
        // Output still waiting for the socket: the client is not idle, and while parsing is stopped
        // for it, the client is not slow to send either. Those timers start over.
        let waitingForOutput = buffered > 0 || outputBlocked
        switch phase {
        case .idle where waitingForOutput, .readingHead where waitingForOutput, .readingBody where waitingForOutput:
            phase = restarted(phase, now)
        case .idle(let since) where !busy && elapsed(since) > options.idleTimeoutSeconds:
            counters.idleTimeouts += 1
            closing = true
            context.close(promise: nil)
        case .readingHead(let since) where elapsed(since) > options.headerTimeoutSeconds:
            answerTimeout("request head not complete within \(options.headerTimeoutSeconds)s", context)
        case .readingBody(let since) where elapsed(since) > options.bodyTimeoutSeconds:
            answerTimeout("request body received no bytes for \(options.bodyTimeoutSeconds)s", context)
        case .lingering(let since) where elapsed(since) > Self.lingerSeconds:
            context.close(promise: nil)
        default:
            break
        }
    }

    private func restarted(_ phase: Phase, _ now: NIODeadline) -> Phase {
        switch phase {
        case .idle: .idle(since: now)
        case .readingHead: .readingHead(since: now)
        case .readingBody: .readingBody(since: now)
        default: phase
        }
    }

    private func answerTimeout(_ detail: String, _ context: ChannelHandlerContext) {
        writeSimple(408, "408 \(HTTPResponseEncoder.reason(408)): \(detail)\n", keepAlive: false, http10: false, context)
        closeAfterFlush(context)
    }
}
