import ComponentKit

/// `surge serve mesh-node`: its ready line also carries `"peer_port":P`, which other nodes bootstrap from.
extension MeshNode: ServableComponent {
    package static let componentName = "mesh-node"
    package static let summary =
        "DHT-discovery pub/sub mesh node (NATS protocol to clients, Kademlia DHT between nodes)"
    package static var declaredOptions: ComponentOptionSet { MeshNodeOptions.declared }

    package convenience init(switches: [String: String], listen: ComponentListenAddress) throws(ComponentOptionError) {
        self.init(
            options: try MeshNodeOptions(
                options: switches, host: listen.host, port: listen.port,
                statsPort: listen.statsPort))
    }

    package func startServing() async throws -> ComponentReady {
        let ports = try await start()
        return ComponentReady(port: ports.port, statsPort: ports.statsPort, extraFields: ["peer_port": ports.peerPort])
    }
}
