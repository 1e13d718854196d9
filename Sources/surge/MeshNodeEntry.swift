import Mesh
import Synchronization

/// `surge serve mesh-node`: its ready line also carries `"peer_port":P`, which other nodes bootstrap from.
enum MeshNodeEntry {
    private static let peerPort = Mutex(0)

    static let entry = ComponentEntry(
        name: "mesh-node", summary: "DHT-discovery pub/sub mesh node (NATS protocol to clients, Kademlia DHT between nodes)",
        options: MeshNodeOptions.optionHelp,
        start: { options, host, port, statsPort in
            let node = MeshNode(options: try MeshNodeOptions(options: options, host: host, port: port, statsPort: statsPort))
            let ports = try await node.start()
            peerPort.withLock { $0 = ports.peerPort }
            return (ports.port, ports.statsPort, { await node.stop() })
        },
        readyFields: { [("peer_port", peerPort.withLock { $0 })] })
}
