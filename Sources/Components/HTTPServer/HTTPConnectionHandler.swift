import ComponentKit
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
/// buffer and written with one write at `channelReadComplete`; fixed routes copy pre-encoded bytes,
/// so steady-state keep-alive traffic allocates nothing per request. With it off, every response is
/// encoded into a freshly allocated buffer and written on its own.
final class HTTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case idle(since: NIODeadline)
        case readingHead(since: NIODeadline)
        case inRequest
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
    private var stream: Stream?
    private var timer: Scheduled<Void>?

    private static let lingerSeconds = 2.0
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
            if case .lingering = phase {
                context.close(promise: nil)
            } else if busy {
                closeWhenDone = true
            } else {
                flushOutbound(context)
                context.close(promise: nil)
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
            do {
                guard let part = try parser.next(&buffer) else { return }
                handle(part, context)
            } catch {
                answerError(error, context)
                return
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushOutbound(context)
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, stream != nil {
            continueStream(context)
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
            phase = .inRequest
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
            if h.expectContinue, h.framing != .none {
                withResponseBuffer(context) { $0.writeImmutableBuffer(Self.continueLine) }
            }
            head = h
        case .body(var bytes):
            counters.bodyBytesReceived += bytes.readableBytes
            if case .echo = route { body.writeBuffer(&bytes) }
        case .end:
            respond(context)
        }
    }

    private func respond(_ context: ChannelHandlerContext) {
        guard let h = head else { return }
        head = nil
        responsesStarted += 1
        Handicap(nanoseconds: options.handicapNanoseconds).apply()
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
        if closeWhenDone, !closing {
            closing = true
            flushOutbound(context)
            context.close(promise: nil)
            return
        }
        if !parsing, cumulation.readableBytes > 0 {
            parse(&cumulation, context)
        }
        flushOutbound(context)
    }

    // MARK: writing

    private func withResponseBuffer(_ context: ChannelHandlerContext, _ write: (inout ByteBuffer) -> Void) {
        if options.bufferPool {
            if outbound.readableBytes == 0 { Self.reset(&outbound, context) }
            write(&outbound)
        } else {
            var fresh = context.channel.allocator.buffer(capacity: 256)
            write(&fresh)
            context.write(wrapOutboundOut(fresh), promise: nil)
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
            context.write(wrapOutboundOut(outbound), promise: nil)
            outbound.moveReaderIndex(to: outbound.writerIndex)
            if outbound.capacity > Self.retainedCapacity { outbound = ByteBuffer() }
        }
        context.flush()
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

    /// Writes what is pending, shuts the output down once it is sent, then drains input until the
    /// client closes (or the linger time passes) so unread request bytes do not reset the connection
    /// before the client has read the final response.
    private func closeAfterFlush(_ context: ChannelHandlerContext) {
        closing = true
        phase = .lingering(since: .now())
        let channel = context.channel
        if options.bufferPool, outbound.readableBytes > 0 {
            context.write(wrapOutboundOut(outbound), promise: nil)
            outbound.moveReaderIndex(to: outbound.writerIndex)
        }
        needsFlush = false
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: written)
        written.futureResult.whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
    }

    private func continueStream(_ context: ChannelHandlerContext) {
        while var s = stream, context.channel.isWritable {
            let n = min(s.remaining, HTTPStaticResponses.fill.readableBytes)
            if s.chunked {
                var header = context.channel.allocator.buffer(capacity: 16)
                HTTPResponseEncoder.writeChunkHeader(into: &header, size: n)
                context.write(wrapOutboundOut(header), promise: nil)
            }
            context.write(wrapOutboundOut(HTTPStaticResponses.fill.getSlice(at: 0, length: n) ?? ByteBuffer()), promise: nil)
            if s.chunked { context.write(wrapOutboundOut(Self.crlf), promise: nil) }
            s.remaining -= n
            if s.remaining == 0 {
                if s.chunked { context.write(wrapOutboundOut(Self.lastChunk), promise: nil) }
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
        let shortest = min(options.idleTimeoutSeconds, options.headerTimeoutSeconds, Self.lingerSeconds)
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
        switch phase {
        case .idle(let since) where !busy && elapsed(since) > options.idleTimeoutSeconds:
            counters.idleTimeouts += 1
            closing = true
            context.close(promise: nil)
        case .readingHead(let since) where elapsed(since) > options.headerTimeoutSeconds:
            answerError(HTTPParseError(.truncatedMessage, "request head not complete within \(options.headerTimeoutSeconds)s"), context, status: 408)
        case .lingering(let since) where elapsed(since) > Self.lingerSeconds:
            context.close(promise: nil)
        default:
            break
        }
    }

    private func answerError(_ error: HTTPParseError, _ context: ChannelHandlerContext, status: Int) {
        writeSimple(status, "\(status) \(HTTPResponseEncoder.reason(status)): \(error.detail)\n", keepAlive: false, http10: false, context)
        closeAfterFlush(context)
    }
}
