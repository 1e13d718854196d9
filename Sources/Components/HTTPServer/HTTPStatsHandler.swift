import HTTPWire
import NIOCore

/// Answers any request on the stats port with the server's counters, summed over event loops, as one
/// flat JSON object of numbers, then closes the connection.
final class HTTPStatsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let shards: [(loop: any EventLoop, shard: HTTPLoopShard)]
    private var answered = false

    init(shards: [(loop: any EventLoop, shard: HTTPLoopShard)]) {
        self.shards = shards
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data), !answered else { return }
        answered = true
        let channel = context.channel
        let snapshots = shards.map { entry in entry.loop.submit { entry.shard.counters.snapshot() } }
        EventLoopFuture.whenAllSucceed(snapshots, on: context.eventLoop).whenComplete { result in
            var totals: [String: Int] = [:]
            if case .success(let all) = result {
                for snapshot in all {
                    for (key, value) in snapshot { totals[key, default: 0] += value }
                }
            }
            let json = "{" + totals.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
            var out = ByteBuffer()
            HTTPResponseEncoder.writeHead(into: &out, status: 200, contentType: "application/json", contentLength: json.utf8.count, keepAlive: false)
            HTTPResponseEncoder.writeEndOfHead(into: &out)
            out.writeString(json)
            channel.writeAndFlush(out).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
