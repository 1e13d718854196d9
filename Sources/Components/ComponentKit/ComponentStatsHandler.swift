import NIOCore

/// One connection to a stats port. Strict about what it accepts and never silent about a refusal:
/// - a request line that is not `METHOD SP /target SP HTTP/1.x` (or a header line without a name and
///   colon, a bare CR, an obsolete line fold, an HTTP/1.1 request without exactly one Host) gets
///   400; another HTTP version 505; a method other than GET or HEAD 405 (with `Allow`); a path other
///   than `/`, `/stats` and the component's own routes 404; a head over `maxHeadBytes` 431; every error body is JSON;
/// - `HEAD` gets the headers `GET` would, with no body;
/// - a connection that completes no request head within `requestTimeout` is closed, with 408 when
///   it sent part of one;
/// - every answer carries `Connection: close`, and the connection closes once it is written.
final class ComponentStatsHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: ComponentStatsServer.Limits
    private let stats: @Sendable (any EventLoop) -> EventLoopFuture<ComponentStats>
    private var head: [UInt8] = []
    private var answered = false
    private var timer: Scheduled<Void>?

    private let routes: [String: ComponentStatsServer.Route]

    init(
        limits: ComponentStatsServer.Limits, routes: [String: ComponentStatsServer.Route] = [:],
        stats: @escaping @Sendable (any EventLoop) -> EventLoopFuture<ComponentStats>
    ) {
        self.limits = limits
        self.routes = routes
        self.stats = stats
    }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: limits.requestTimeout) {
            let (handler, context) = loopBound.value
            handler.timedOut(context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        let chunk = unwrapInboundIn(data)
        head += chunk.readableBytesView
        switch StatsRequest.parse(head, maxBytes: limits.maxHeadBytes) {
        case .incomplete:
            return
        case .invalid(let status, let reason):
            respond(context, status: status, body: Self.errorBody(reason), bodiless: false)
        case .request(let request):
            answer(request, context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func answer(_ request: StatsRequest, _ context: ChannelHandlerContext) {
        let bodiless = request.method == "HEAD"
        guard request.method == "GET" || bodiless else {
            return respond(
                context, status: 405, body: Self.errorBody("the stats port answers GET and HEAD"),
                bodiless: false, extra: "Allow: GET, HEAD\r\n")
        }
        let body: EventLoopFuture<String>
        if request.path == "/" || request.path == "/stats" {
            body = stats(context.eventLoop).map { $0.json() }
        } else if let route = routes[request.path] {
            body = route(context.eventLoop)
        } else {
            let paths = (["/"] + routes.keys.sorted()).joined(separator: " ")
            return respond(
                context, status: 404, body: Self.errorBody("no such path; paths: \(paths)"), bodiless: bodiless)
        }
        answered = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        body.hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            switch result {
            case .success(let text): handler.respond(context, status: 200, body: text, bodiless: bodiless)
            case .failure(let e):
                handler.respond(context, status: 500, body: Self.errorBody("\(e)"), bodiless: bodiless)
            }
        }
    }

    private func timedOut(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        if head.isEmpty {
            answered = true
            context.close(promise: nil)
        } else {
            respond(context, status: 408, body: Self.errorBody("request head not complete in time"), bodiless: false)
        }
    }

    private func respond(
        _ context: ChannelHandlerContext, status: Int, body: String, bodiless: Bool, extra: String = ""
    ) {
        answered = true
        timer?.cancel()
        var out = context.channel.allocator.buffer(capacity: 160 + body.utf8.count)
        out.writeString(
            "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\(extra)Connection: close\r\n\r\n")
        if !bodiless { out.writeString(body) }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
    }

    private static func errorBody(_ reason: String) -> String { "{\"error\":\(ComponentStats.quote(reason))}" }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 505: return "HTTP Version Not Supported"
        default: return "Error"
        }
    }
}
