import ComponentKit
import NIOCore
import NIOPosix
import Synchronization

/// The built-in message router (addresses like `api://users/123`). In micro mode (`micro=OP`) its
/// port speaks the `MicroBenchServer` protocol for one operation; otherwise it routes addresses sent
/// as lines (`api://users/7\n` → `ROUTE api://users/:id id=7\n` or `MISS\n`). Counters on the stats port.
package final class Router: Sendable {
    package let options: RouterOptions
    private let running = RunningServer()
    let counters = RouterCounters()

    package init(options: RouterOptions) {
        self.options = options
    }

    package func start() async throws -> (port: Int, statsPort: Int) {
        let o = options
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            var channels: [Channel] = []
            var micro: MicroBenchServer?
            let port: Int
            if let op = o.micro {
                let server = try MicroBenchServer(host: o.host, port: o.port, operation: op.operation(o))
                micro = server
                port = server.port
            } else {
                let counters = self.counters
                let listener = try await ComponentBindError.naming("client port", host: o.host, port: o.port) {
                    try await ServerBootstrap(group: group)
                        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                        .childChannelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(RouterLineHandler(options: o, counters: counters))
                            }
                        }
                        .bind(host: o.host, port: o.port).get()
                }
                channels.append(listener)
                port = listener.localAddress?.port ?? 0
            }
            // In micro mode nothing but the operation may run in the child: no stats port, whose
            // connections would allocate inside the measured window.
            var statsPort = 0
            if micro == nil {
                let counters = self.counters
                let stats = try await ComponentStatsServer.bind(group: group, host: o.host, port: o.statsPort) { loop in
                    loop.makeSucceededFuture(counters.stats())
                }
                channels.append(stats)
                statsPort = stats.localAddress?.port ?? 0
            }
            running.hold(group: group, channels: channels, micro: micro)
            return (port, statsPort)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    package func stop() async {
        await running.stop()
    }
}

/// Messages routed and missed, served on the stats port.
final class RouterCounters: Sendable {
    let routed = Atomic<Int>(0)
    let missed = Atomic<Int>(0)
    let errors = Atomic<Int>(0)

    func stats() -> ComponentStats {
        ComponentStats(counters: [
            "routed": routed.load(ordering: .relaxed), "missed": missed.load(ordering: .relaxed),
            "errors": errors.load(ordering: .relaxed),
        ])
    }
}
