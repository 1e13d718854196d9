import ComponentKit
import HTTPWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The built-in HTTP/1.1 server: routes `/plaintext`, `/json`, `/echo`, `/bytes/N`, `/delay/MS` on
/// `port`, and its counters as JSON on `statsPort`. Knows nothing of the harness.
public final class HTTPServer: Sendable {
    public let options: HTTPServerOptions

    private struct Running {
        var group: MultiThreadedEventLoopGroup
        var channels: [any Channel]
    }

    private let running = NIOLockedValueBox<Running?>(nil)

    public init(options: HTTPServerOptions) {
        self.options = options
    }

    /// Binds both ports (0 picks free ones) and returns them.
    public func start() async throws -> (port: Int, statsPort: Int) {
        let options = self.options
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        var shardList: [(loop: any EventLoop, shard: HTTPLoopShard)] = []
        for loop in group.makeIterator() {
            shardList.append((loop, HTTPLoopShard()))
        }
        let shards = shardList
        let byLoop = Dictionary(uniqueKeysWithValues: shards.map { (ObjectIdentifier($0.loop), $0.shard) })
        let fallback = shards[0].shard
        do {
            let server = try await ComponentBindError.naming("client port", host: options.host, port: options.port) {
                try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 1024)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelOption(.allowRemoteHalfClosure, value: true)
                    .childChannelInitializer { channel in
                        let shard = byLoop[ObjectIdentifier(channel.eventLoop)] ?? fallback
                        return channel.eventLoop.makeCompletedFuture {
                            let sync = channel.pipeline.syncOperations
                            try sync.addHandler(HTTPConnectionHandler(options: options, shard: shard))
                        }
                    }
                    .bind(host: options.host, port: options.port).get()
            }
            let stats = try await ComponentStatsServer.bind(group: group, host: options.host, port: options.statsPort) { loop in
                Self.stats(shards, on: loop)
            }
            running.withLockedValue { $0 = Running(group: group, channels: [server, stats]) }
            return (server.localAddress?.port ?? options.port, stats.localAddress?.port ?? options.statsPort)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// The counters of every event loop's shard, each read on its own loop, summed.
    private static func stats(_ shards: [(loop: any EventLoop, shard: HTTPLoopShard)],
                              on loop: any EventLoop) -> EventLoopFuture<ComponentStats> {
        let snapshots = shards.map { entry in entry.loop.submit { entry.shard.counters.snapshot() } }
        return EventLoopFuture.whenAllSucceed(snapshots, on: loop).map { all in
            var total = ComponentStats()
            for snapshot in all { total.add(ComponentStats(snapshot, gauges: HTTPServerCounters.gauges)) }
            return total
        }
    }

    /// Closes the listening sockets and every connection, and stops the event loops.
    public func stop() async {
        guard let state = running.withLockedValue({ s -> Running? in
            defer { s = nil }
            return s
        }) else { return }
        for channel in state.channels {
            try? await channel.close()
        }
        try? await state.group.shutdownGracefully()
    }
}
