import ComponentKit
import HTTPWire
import NIOCore

/// Request handling: routing a parsed request to its response, and the deferred (delayed, streamed)
/// responses that pause parsing until they complete.
extension HTTPConnectionHandler {
    // MARK: requests

    func handle(_ part: HTTPServerRequestPart, _ context: ChannelHandlerContext) {
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

    func respond(_ context: ChannelHandlerContext) {
        guard let h = head else { return }
        head = nil
        phase = .inRequest
        responsesStarted += 1
        // The canary: a busy wait per request answered (`handicap-ns`; 0 = off).
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

    func finishResponse(keepAlive: Bool, _ context: ChannelHandlerContext) {
        if keepAlive {
            phase = .idle(since: .now())
        } else {
            closeAfterFlush(context)
        }
    }

    /// Ends a delayed or streamed response and replays the requests that arrived meanwhile.
    func finishDeferred(keepAlive: Bool, _ context: ChannelHandlerContext) {
        busy = false
        finishResponse(keepAlive: keepAlive, context)
        resumeInput(context)
    }

    func continueStream(_ context: ChannelHandlerContext) {
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
}
