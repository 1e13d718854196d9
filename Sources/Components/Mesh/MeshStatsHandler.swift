import NIOCore

/// Minimal HTTP/1.1 responder for the stats port: any `GET` gets the counters as one flat JSON object.
final class MeshStatsHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: MeshNodeCore
    private var request = ByteBuffer()
    private var answered = false

    init(core: MeshNodeCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        var chunk = unwrapInboundIn(data)
        request.writeBuffer(&chunk)
        guard request.readableBytes <= 16384 else { return respond(context, status: "431 Request Header Fields Too Large", body: "{}") }
        let text = String(buffer: request)
        guard text.contains("\r\n\r\n") || text.contains("\n\n") else { return }
        if text.hasPrefix("GET ") {
            respond(context, status: "200 OK", body: core.statsJSON())
        } else {
            respond(context, status: "405 Method Not Allowed", body: "{}")
        }
    }

    private func respond(_ context: ChannelHandlerContext, status: String, body: String) {
        answered = true
        var out = context.channel.allocator.buffer(capacity: 256 + body.utf8.count)
        out.writeString("HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n")
        out.writeString(body)
        context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
