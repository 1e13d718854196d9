import ComponentKit

/// `surge serve broker`.
extension BrokerServer: ServableComponent {
    package static let componentName = "broker"
    package static let summary = "NATS-protocol message broker (pub/sub, queue groups, wildcards)"
    package static var declaredOptions: ComponentOptionSet { BrokerOptions.declared }

    package convenience init(switches: [String: String], listen: ComponentListenAddress) throws(ComponentOptionError) {
        self.init(
            options: try BrokerOptions(
                options: switches, host: listen.host, port: listen.port,
                statsPort: listen.statsPort))
    }

    package func startServing() async throws -> ComponentReady {
        let ports = try await start()
        return ComponentReady(port: ports.port, statsPort: ports.statsPort)
    }
}
