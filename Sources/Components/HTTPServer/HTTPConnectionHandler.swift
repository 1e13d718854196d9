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

    enum Phase {
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

    struct Stream {
        var remaining: Int
        var chunked: Bool
        var keepAlive: Bool
    }

    let options: HTTPServerOptions
    let shard: HTTPLoopShard
    var counters: HTTPServerCounters { shard.counters }
    var context: ChannelHandlerContext?

    var parser: HTTPRequestParser
    var cumulation = ByteBuffer()
    var phase = Phase.idle(since: .now())
    var head: HTTPRequestHead?
    var route = HTTPRoute.notFound
    var body = ByteBuffer()
    var requestsSeen = 0
    var responsesStarted = 0
    var outbound = ByteBuffer()
    var needsFlush = false
    /// A response is deferred (delay, streamed body); later bytes wait in `cumulation`.
    var busy = false
    var parsing = false
    var closing = false
    var closeWhenDone = false
    /// Parsing stopped because the channel is not writable.
    var outputBlocked = false
    /// A read was held back while input waited unparsed.
    var readPending = false
    /// The peer closed its output (half-close or EOF).
    var inputEnded = false
    var stream: Stream?
    var timer: Scheduled<Void>?
    /// Bytes handed to the channel so far; minus the channel's buffered bytes, the bytes sent.
    var bytesQueued = 0
    var bytesSentAtLastTick = 0
    /// When queued output last made progress (nil while nothing is queued).
    var outputProgressAt: NIODeadline?

    static let lingerSeconds = 2.0
    /// Pooled output is written once it holds this much, so one read cannot build a huge buffer.
    static let outboundBatchBytes = 64 * 1024
    static let continueLine = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")
    static let crlf = ByteBuffer(string: "\r\n")
    static let lastChunk = ByteBuffer(string: "0\r\n\r\n")

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
    func parse(_ buffer: inout ByteBuffer, _ context: ChannelHandlerContext) {
        guard !parsing else { return }
        parsing = true
        defer { parsing = false }
        while !busy, !closing {
            if outputBacklogged(context) {
                if !outputBlocked { counters.backpressurePauses += 1 }
                outputBlocked = true
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
    func outputBacklogged(_ context: ChannelHandlerContext) -> Bool {
        if outbound.readableBytes >= Self.outboundBatchBytes { flushOutbound(context) }
        guard !context.channel.isWritable else { return false }
        flushOutbound(context)
        return !context.channel.isWritable
    }

    /// Input is waiting unparsed (a deferred response or blocked output): reads are held back.
    var holdsInput: Bool {
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
    func resumeInput(_ context: ChannelHandlerContext) {
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

    // MARK: writing

    func withResponseBuffer(_ context: ChannelHandlerContext, _ write: (inout ByteBuffer) -> Void) {
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
    static func reset(_ buffer: inout ByteBuffer, _ context: ChannelHandlerContext) {
        if buffer.capacity > retainedCapacity {
            buffer = context.channel.allocator.buffer(capacity: 4096)
        } else {
            buffer.clear()
        }
    }

    static let retainedCapacity = 256 * 1024

    func flushOutbound(_ context: ChannelHandlerContext) {
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
    func send(_ buffer: ByteBuffer, _ context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        bytesQueued += buffer.readableBytes
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func writeStatic(_ response: HTTPStaticResponses.Variants, keepAlive: Bool, http10: Bool, bodiless: Bool, _ context: ChannelHandlerContext) {
        counters.responses2xx += 1
        if options.bufferPool {
            withResponseBuffer(context) { out in
                let whole = shard.wholeResponse(response, keepAlive: keepAlive, http10: http10, bodiless: bodiless)
                out.writeImmutableBuffer(whole)
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

    func writeSimple(_ status: Int, _ text: String, keepAlive: Bool, http10: Bool, _ context: ChannelHandlerContext) {
        counters.countError(status)
        withResponseBuffer(context) { out in
            let extra: [(String, String)] = status == 405 ? [("Allow", "GET, HEAD")] : []
            HTTPResponseEncoder.writeHead(into: &out, status: status, contentType: "text/plain", contentLength: text.utf8.count, keepAlive: keepAlive, http10: http10, extraHeaders: extra)
            out.writeImmutableBuffer(shard.currentDateLine())
            HTTPResponseEncoder.writeEndOfHead(into: &out)
            out.writeString(text)
        }
    }

    func answerError(_ error: HTTPParseError, _ context: ChannelHandlerContext) {
        writeSimple(error.status, "\(error.status) \(HTTPResponseEncoder.reason(error.status)): \(error.detail)\n", keepAlive: false, http10: false, context)
        closeAfterFlush(context)
    }

    /// Writes what is pending and, once its last byte has been written (not merely queued), closes:
    /// fully when the peer has closed its side, otherwise by shutting the output down and draining
    /// input until the client closes (or the linger time passes), so unread request bytes do not
    /// reset the connection before the client has read the final response. Meanwhile only
    /// `send-timeout` can end the connection.
    func closeAfterFlush(_ context: ChannelHandlerContext) {
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
}
