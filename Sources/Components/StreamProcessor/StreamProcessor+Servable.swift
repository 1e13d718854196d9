import ComponentKit

/// `surge serve stream --broker HOST:PORT`: its ready line's `port` is the broker's (where load goes).
extension StreamProcessor: ServableComponent {
    package static let componentName = "stream"
    package static let summary =
        "stream processor on a NATS broker: subject patterns -> templates, computed fields and filters"
    package static var declaredOptions: ComponentOptionSet { StreamProcessorOptions.declared }

    package convenience init(switches: [String: String], listen: ComponentListenAddress) throws(ComponentOptionError) {
        var options = try StreamProcessorOptions(options: switches, host: listen.host, statsPort: listen.statsPort)
        options.port = listen.port
        let mappings: [StreamMapping]
        do throws(StreamMappingError) {
            mappings = try StreamMapping.parseAll(options.mappingText, settings: options.settings)
        } catch {
            throw ComponentOptionError(component: "stream", key: "mappings", value: options.mappingText, accepted: "\(error)")
        }
        self.init(options: options, mappings: mappings)
    }

    package func startServing() async throws -> ComponentReady {
        let ports = try await start()
        return ComponentReady(port: ports.brokerPort, statsPort: ports.statsPort)
    }
}
