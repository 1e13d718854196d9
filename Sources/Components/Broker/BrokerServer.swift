import ComponentKit
import NIOCore
import NIOPosix
import Synchronization

/// The built-in NATS-protocol broker: a SwiftNIO server speaking the NATS client protocol as
/// nats-server 2.9 does, plus an HTTP stats port serving its counters as JSON.
/// Knows nothing of the harness; `surge serve broker` and tests start it.
public final class BrokerServer: Sendable {
    private struct Running: ~Copyable {
        var group: MultiThreadedEventLoopGroup?
        var channels: [Channel] = []
    }

    private let core: BrokerCore
    private let running = Mutex(Running())

    public init(options: BrokerOptions) {
        core = BrokerCore(options: options)
    }

    /// Binds the client port and the stats port; returns the bound ports (0 = any free port).
    public func start() async throws -> (port: Int, statsPort: Int) {
        let options = core.options
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        let core = self.core
        do {
            let client = try await ComponentBindError.naming("client port", host: options.host, port: options.port) {
                try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 1024)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelOption(.maxMessagesPerRead, value: 8)
                    .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16384, maximum: 262_144))
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(BrokerConnectionHandler(core: core))
                        }
                    }
                    .bind(host: options.host, port: options.port).get()
            }
            let port = client.localAddress?.port ?? 0
            core.boundPort.store(port, ordering: .relaxed)
            let stats = try await ComponentStatsServer.bind(group: group, host: options.host, port: options.statsPort) { loop in
                loop.makeSucceededFuture(core.stats())
            }
            running.withLock {
                $0.group = group
                $0.channels = [client, stats]
            }
            return (port, stats.localAddress?.port ?? 0)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Closes the listening sockets and every connection, and stops the event loops.
    public func stop() async {
        let (group, channels) = running.withLock { r -> (MultiThreadedEventLoopGroup?, [Channel]) in
            defer { r.group = nil; r.channels = [] }
            return (r.group, r.channels)
        }
        for channel in channels { try? await channel.close() }
        try? await group?.shutdownGracefully()
    }

    /// The counters and gauges as the stats port serves them.
    public func statsJSON() -> String {
        core.stats().json()
    }
}
