import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The one stats/monitoring endpoint every built-in component serves on its stats port:
/// `GET /` (or `/stats`) answers the component's `ComponentStats` as JSON and closes the connection;
/// a component may add monitoring paths of its own (`routes`, e.g. `/healthz`). See
/// `ComponentStatsHandler` for how it treats clients that misbehave.
package enum ComponentStatsServer {
    /// A monitoring path's answer: a JSON document, made on the connection's event loop.
    package typealias Route = @Sendable (any EventLoop) -> EventLoopFuture<String>

    /// Limits of the stats endpoint.
    package struct Limits: Sendable {
        /// A connection that has not sent a complete request head by then is closed (408 if it sent anything).
        package var requestTimeout: TimeAmount = .seconds(10)
        /// Largest request head accepted; larger gets 431.
        package var maxHeadBytes = 8192

        package init() {}
    }

    /// Binds `host:port` (0 = any free port) on `group`; `stats` is asked on the connection's event
    /// loop for every request of `/` and `/stats`, `routes[path]` for its path.
    package static func bind(
        group: any EventLoopGroup, host: String, port: Int, limits: Limits = Limits(), routes: [String: Route] = [:],
        stats: @escaping @Sendable (any EventLoop) -> EventLoopFuture<ComponentStats>
    ) async throws -> any Channel {
        try await ComponentBindError.naming("stats port", host: host, port: port) {
            try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ComponentStatsHandler(limits: limits, routes: routes, stats: stats))
                    }
                }
                .bind(host: host, port: port).get()
        }
    }
}

/// A listening socket that could not be bound: names the port (`stats port 127.0.0.1:4222: Address
/// already in use`).
package struct ComponentBindError: Error, CustomStringConvertible, Sendable {
    package var what: String
    package var host: String
    package var port: Int
    package var reason: String

    package init(what: String, host: String, port: Int, reason: String) {
        self.what = what
        self.host = host
        self.port = port
        self.reason = reason
    }

    package var description: String { "cannot listen on the \(what) \(host):\(port): \(reason)" }
}

extension ComponentBindError {
    /// Runs `bind`, turning a socket error into a `ComponentBindError` that names `what` and the port.
    package static func naming<T>(
        _ what: String, host: String, port: Int,
        _ bind: () async throws -> T
    ) async throws -> T {
        do {
            return try await bind()
        } catch let error as IOError {
            let reason = String(cString: strerror(error.errnoCode)) + " (errno \(error.errnoCode))"
            throw ComponentBindError(what: what, host: host, port: port, reason: reason)
        } catch let error as SocketAddressError {
            throw ComponentBindError(what: what, host: host, port: port, reason: "\(error)")
        }
    }
}
