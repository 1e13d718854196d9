import ComponentKit
import NATSWire
import NIOCore
import NIOPosix
import Synchronization

/// The built-in NATS-protocol broker: a SwiftNIO server speaking the NATS client protocol as
/// nats-server 2.9 does, plus an HTTP stats port serving its counters as JSON (`/stats`) and
/// nats-server's monitoring paths (`/varz`, `/connz`, `/subsz`, `/healthz`).
/// Knows nothing of the harness; `surge serve broker` and tests start it.
public final class BrokerServer: Sendable {
    private struct Running: ~Copyable {
        var group: MultiThreadedEventLoopGroup?
        var client: Channel?
        var stats: Channel?
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
            let stats = try await ComponentStatsServer.bind(
                group: group, host: options.host, port: options.statsPort, routes: BrokerMonitoring.routes(core)
            ) { loop in
                loop.makeSucceededFuture(core.stats())
            }
            let statsPort = stats.localAddress?.port ?? 0
            core.statsPort.store(statsPort, ordering: .relaxed)
            running.withLock {
                $0.group = group
                $0.client = client
                $0.stats = stats
            }
            return (port, statsPort)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Closes the listening sockets and every connection, and stops the event loops.
    public func stop() async {
        let (group, channels) = running.withLock { r -> (MultiThreadedEventLoopGroup?, [Channel]) in
            defer { r = Running() }
            return (r.group, [r.client, r.stats].compactMap { $0 })
        }
        for channel in channels { try? await channel.close() }
        try? await group?.shutdownGracefully()
    }

    /// Lame-duck mode, as nats-server enters it on SIGUSR2: stops accepting clients, sends every
    /// client an INFO with `"ldm":true`, waits the grace period, then closes the clients one by one
    /// spread over the rest of `lame-duck-duration`, and calls `done` (on an event loop) once the
    /// last is closed. A second call does nothing.
    public func startLameDuck(then done: @escaping @Sendable () -> Void = {}) {
        guard !core.lameDuck.exchange(true, ordering: .relaxed) else { return }
        let (client, group) = running.withLock { r -> (Channel?, MultiThreadedEventLoopGroup?) in
            defer { r.client = nil }
            return (r.client, r.group)
        }
        guard let group else { return done() }
        client?.close(promise: nil)
        let clients = core.connections
        // As nats-server: only clients that declared protocol 1 or later get an INFO they did not ask for.
        for conn in clients where conn.state.withLock({ $0.proto >= 1 }) {
            let info = core.infoJSON(clientID: conn.id, clientIP: conn.remote.ip, lameDuck: true)
            conn.eventLoop.execute {
                if conn.enqueueControl({ $0.writeNATSInfo(json: info) }) { conn.flushNow() }
            }
        }
        let duration = core.options.lameDuckDuration
        let grace = min(core.options.lameDuckGracePeriod, duration / 2)
        let step = clients.isEmpty ? 0 : (duration - grace) / Double(clients.count)
        let loop = group.next()
        for (i, conn) in clients.enumerated() {
            loop.scheduleTask(in: .nanoseconds(Int64((grace + step * Double(i)) * 1e9))) {
                conn.channel.close(promise: nil)
            }
        }
        loop.scheduleTask(in: .nanoseconds(Int64((grace + step * Double(clients.count)) * 1e9))) { done() }
    }

    /// `startLameDuck`, then `stop` once every client is closed.
    public func enterLameDuck() async {
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            startLameDuck { finished.resume() }
        }
        await stop()
    }

    /// The counters and gauges as the stats port serves them.
    public func statsJSON() -> String {
        core.stats().json()
    }
}
