/// A built-in component as `surge serve` runs it: its name, summary and declared options, built
/// from `key=value` switches and where to listen, started and stopped the same way for all.
package protocol ServableComponent: Sendable {
    /// The name `surge serve` and scenarios use (`broker`, `http`, `mesh-node`).
    static var componentName: String { get }
    /// One line for `surge list`.
    static var summary: String { get }
    /// Every switch it takes.
    static var declaredOptions: ComponentOptionSet { get }

    /// Builds the component; throws the first bad switch.
    init(switches: [String: String], listen: ComponentListenAddress) throws(ComponentOptionError)

    /// Binds its ports and starts serving; a port that cannot be bound throws `ComponentBindError`.
    func startServing() async throws -> ComponentReady

    /// Closes every socket and stops its threads.
    func stop() async
}

/// Where a component listens: one host, a client port and a stats port (0 = any free port).
package struct ComponentListenAddress: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var statsPort: Int

    package init(host: String = "127.0.0.1", port: Int = 0, statsPort: Int = 0) {
        self.host = host
        self.port = port
        self.statsPort = statsPort
    }
}

/// The ports a started component serves on, as its ready line reports them.
package struct ComponentReady: Sendable, Equatable {
    package var port: Int
    package var statsPort: Int
    /// More numeric fields of the ready line (a mesh node's `peer_port`).
    package var extraFields: [String: Int]

    package init(port: Int, statsPort: Int, extraFields: [String: Int] = [:]) {
        self.port = port
        self.statsPort = statsPort
        self.extraFields = extraFields
    }

    /// `{"ready":true,"port":N,"stats_port":M,…}`: the line `surge serve` prints once it serves.
    /// A `statsPort` of 0 means none (a component in micro mode) and leaves `stats_port` out.
    package var readyLine: String {
        let extra = extraFields.sorted { $0.key < $1.key }.map { ",\(ComponentStats.quote($0.key)):\($0.value)" }
            .joined()
        let stats = statsPort == 0 ? "" : ",\"stats_port\":\(statsPort)"
        return "{\"ready\":true,\"port\":\(port)\(stats)\(extra)}"
    }
}
