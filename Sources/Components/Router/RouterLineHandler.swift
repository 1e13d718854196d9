import NIOCore

/// One client of a router outside micro mode: every line is an address; the answer is
/// `ROUTE <pattern> [name=value]...`, `MISS` or `ERR <why>`, one line each.
final class RouterLineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: RouterCore
    private let counters: RouterCounters
    private var pending = ByteBuffer()

    init(options: RouterOptions, counters: RouterCounters) {
        // The benchmark routes are constant, valid patterns.
        core = RouterCore(routes: RouterCore.benchmarkRoutes.map { try! RoutePattern($0) }, options: options)
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        pending.writeBuffer(&incoming)
        var out = context.channel.allocator.buffer(capacity: 256)
        while let newline = pending.readableBytesView.firstIndex(of: 10) {
            let length = newline - pending.readerIndex
            var line = pending.readString(length: length) ?? ""
            pending.moveReaderIndex(forwardBy: 1)
            if line.hasSuffix("\r") { line.removeLast() }
            route(line, into: &out)
        }
        pending.discardReadBytes()
        if pending.readableBytes > 8192 {
            out.writeString("ERR line longer than 8192 bytes\n")
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in context.close(promise: nil) }
            return
        }
        if out.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(out), promise: nil) }
    }

    private func route(_ line: String, into out: inout ByteBuffer) {
        let message: RouterMessage
        do {
            message = try [UInt8]().withUnsafeBytes { try core.message(line, body: $0) }
        } catch {
            counters.errors.add(1, ordering: .relaxed)
            out.writeString("ERR \(error)\n")
            return
        }
        defer { core.release(message) }
        guard let hit = core.match(message) else {
            counters.missed.add(1, ordering: .relaxed)
            out.writeString("MISS\n")
            return
        }
        core.send(message)
        counters.routed.add(1, ordering: .relaxed)
        out.writeString("ROUTE \(core.routes[hit.route].text)")
        for p in hit.parameters { out.writeString(" \(p.name)=\(p.value)") }
        out.writeString("\n")
    }
}
