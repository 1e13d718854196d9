import ComponentKit
import NATSWire
import NIOCore
import NIOPosix

/// The built-in stream processor: `workers` connections to a NATS broker, each subscribed to every
/// mapping's input (one queue group, so each message is processed once), publishing the mapped
/// messages back to the broker; counters on its stats port. Knows nothing of the harness.
package final class StreamProcessor: Sendable {
    package let options: StreamProcessorOptions
    private let mappings: [StreamMapping]
    private let counters = StreamCounters()
    private let running = RunningServer()

    package convenience init(options: StreamProcessorOptions) throws(StreamMappingError) {
        self.init(options: options, mappings: try StreamMapping.parseAll(options.mappingText, settings: options.settings))
    }

    init(options: StreamProcessorOptions, mappings: [StreamMapping]) {
        self.options = options
        self.mappings = mappings
    }

    /// Connects every worker (subscribed once this returns) and binds the stats port.
    package func start() async throws -> (brokerPort: Int, statsPort: Int) {
        let o = options
        let group = MultiThreadedEventLoopGroup(numberOfThreads: o.workers)
        var channels: [Channel] = []
        if let op = o.micro {
            let server = try MicroBenchServer(host: o.host, port: o.port, operation: try op.operation(o))
            // Nothing but the operation runs in the child: no stats port (see Router), no broker.
            running.hold(group: group, micro: server)
            return (server.port, 0)
        }
        do {
            for _ in 0..<o.workers {
                let loop = group.next()
                let ready = loop.makePromise(of: Void.self)
                let (mappings, counters) = (self.mappings, self.counters)
                let channel: Channel
                do {
                    channel = try await ClientBootstrap(group: loop)
                        .channelOption(.socketOption(.tcp_nodelay), value: 1)
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NATSServerOpDecoder()))
                                try channel.pipeline.syncOperations.addHandler(
                                    StreamWorkerHandler(
                                        mappings: mappings, counters: counters, pooling: o.pooling, handicap: o.handicap,
                                        ready: ready))
                            }
                        }
                        .connect(host: o.brokerHost, port: o.brokerPort).get()
                } catch {
                    ready.fail(error)
                    throw StreamBrokerError(description: "cannot connect to the broker \(o.brokerHost):\(o.brokerPort): \(error)")
                }
                channels.append(channel)
                try await ready.futureResult.get()
            }
            let stats = try await ComponentStatsServer.bind(group: group, host: o.host, port: o.statsPort) { [counters = self.counters] loop in
                loop.makeSucceededFuture(counters.stats())
            }
            channels.append(stats)
            let statsPort = stats.localAddress?.port ?? 0
            running.hold(group: group, channels: channels)
            return (o.brokerPort, statsPort)
        } catch {
            for c in channels { try? await c.close() }
            try? await group.shutdownGracefully()
            throw error
        }
    }

    package func stop() async {
        await running.stop()
    }

    package func stats() -> ComponentStats { counters.stats() }
}
