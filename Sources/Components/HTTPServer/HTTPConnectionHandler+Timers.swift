import HTTPWire
import NIOCore

/// The connection's timers, all run from one periodic tick: idle, header, body, send and linger.
extension HTTPConnectionHandler {
    // MARK: timeouts

    func scheduleTick(_ context: ChannelHandlerContext) {
        let shortest = min(options.idleTimeoutSeconds, options.headerTimeoutSeconds, options.bodyTimeoutSeconds,
                           options.sendTimeoutSeconds, Self.lingerSeconds)
        let interval = Swift.max(0.005, Swift.min(1.0, shortest / 4))
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(interval * 1e9))) { [self] in
            guard let context = self.context, context.channel.isActive else { return }
            self.tick(context)
            self.scheduleTick(context)
        }
    }

    func tick(_ context: ChannelHandlerContext) {
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
        // The idle time counts from when the output has been written; and while parsing is stopped
        // for unwritten output (so the server is not reading), the client is not slow to send either.
        switch phase {
        case .idle where buffered > 0 || outputBlocked, .readingHead where outputBlocked, .readingBody where outputBlocked:
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

    func restarted(_ phase: Phase, _ now: NIODeadline) -> Phase {
        switch phase {
        case .idle: .idle(since: now)
        case .readingHead: .readingHead(since: now)
        case .readingBody: .readingBody(since: now)
        default: phase
        }
    }

    func answerTimeout(_ detail: String, _ context: ChannelHandlerContext) {
        writeSimple(408, "408 \(HTTPResponseEncoder.reason(408)): \(detail)\n", keepAlive: false, http10: false, context)
        closeAfterFlush(context)
    }
}
