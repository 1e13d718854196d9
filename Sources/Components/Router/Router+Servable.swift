import ComponentKit

/// `surge serve router [--micro OP]`.
extension Router: ServableComponent {
    package static let componentName = "router"
    package static let summary =
        "in-process message router on scheme://a/:param/* paths; micro operations for the micro workload"
    package static var declaredOptions: ComponentOptionSet { RouterOptions.declared }

    package convenience init(switches: [String: String], listen: ComponentListenAddress) throws(ComponentOptionError) {
        self.init(
            options: try RouterOptions(options: switches, host: listen.host, port: listen.port, statsPort: listen.statsPort))
    }

    package func startServing() async throws -> ComponentReady {
        let ports = try await start()
        return ComponentReady(port: ports.port, statsPort: ports.statsPort)
    }
}
