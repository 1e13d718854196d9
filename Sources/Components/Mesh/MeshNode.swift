import ComponentKit
import MeshWire
import NIOCore
import NIOPosix
import Synchronization

/// A node of the built-in DHT-discovery pub/sub mesh: speaks the NATS client protocol to local
/// clients, a binary peer protocol (`MeshWire`) to other nodes, and serves its counters as JSON on a
/// stats port. All of the node runs on one event-loop thread. Knows nothing of the harness;
/// `surge serve mesh-node` and tests start it.
public final class MeshNode: Sendable {
    private struct Running: ~Copyable {
        var group: MultiThreadedEventLoopGroup?
        var channels: [Channel] = []
        var core: MeshNodeCore?
    }

    private let options: MeshNodeOptions
    private let running = Mutex(Running())

    public init(options: MeshNodeOptions) {
        self.options = options
    }

    /// Binds the client, stats and peer ports, starts joining the mesh through `bootstrap`, and
    /// returns the bound ports (joining goes on in the background; `known_peers` tells its progress).
    public func start() async throws -> (port: Int, statsPort: Int, peerPort: Int) {
        let options = self.options
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let core = MeshNodeCore(options: options, loop: loop)
        do {
            let peer = try await ComponentBindError.naming("peer port", host: options.host, port: options.peerPort) {
                try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 4096)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 65536, maximum: 1 << 20))
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(MeshPeerServerHandler(core: core))
                        }
                    }
                    .bind(host: options.host, port: options.peerPort).get()
            }
            let peerPort = peer.localAddress?.port ?? 0
            let client = try await ComponentBindError.naming("client port", host: options.host, port: options.port) {
                try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 1024)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelOption(.writeBufferWaterMark, value: .init(low: 1 << 20, high: 8 << 20))
                    .childChannelOption(.maxMessagesPerRead, value: 8)
                    .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16384, maximum: 262_144))
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(MeshClientHandler(core: core))
                        }
                    }
                    .bind(host: options.host, port: options.port).get()
            }
            let stats = try await ComponentStatsServer.bind(group: group, host: options.host, port: options.statsPort) { _ in
                loop.submit { core.stats() }
            }
            try await loop.submit {
                core.selfContact.port = peerPort
                core.start()
            }.get()
            running.withLock {
                $0.group = group
                $0.channels = [peer, client, stats]
                $0.core = core
            }
            return (client.localAddress?.port ?? 0, stats.localAddress?.port ?? 0, peerPort)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Withdraws the node's DHT records and replicated interest (at most a second), flushes open
    /// batches, closes every socket and stops the event loop. `surge serve` calls it on SIGTERM and SIGINT.
    public func stop() async {
        let (group, channels, core) = running.withLock { r -> (MultiThreadedEventLoopGroup?, [Channel], MeshNodeCore?) in
            defer { r.group = nil; r.channels = []; r.core = nil }
            return (r.group, r.channels, r.core)
        }
        if let core {
            try? await core.loop.flatSubmit {
                let done = core.loop.makePromise(of: Void.self)
                core.shutdown { done.succeed() }
                return done.futureResult
            }.get()
        }
        for channel in channels { try? await channel.close() }
        try? await group?.shutdownGracefully()
    }

    /// The counters and gauges as the stats port serves them.
    public func statsJSON() async -> String {
        guard let core = running.withLock({ $0.core }) else { return ComponentStats().json() }
        return (try? await core.loop.submit { core.stats().json() }.get()) ?? ComponentStats().json()
    }
}
