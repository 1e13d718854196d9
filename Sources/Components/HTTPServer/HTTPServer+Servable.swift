import ComponentKit

/// `surge serve http`.
extension HTTPServer: ServableComponent {
    package static let componentName = "http"
    package static let summary =
        "HTTP/1.1 server (keep-alive, pipelining, chunked; /plaintext /json /echo /bytes/N /delay/MS)"
    package static var declaredOptions: ComponentOptionSet { HTTPServerOptions.declared }

    package convenience init(switches: [String: String], listen: ComponentListenAddress) throws(ComponentOptionError) {
        self.init(
            options: try HTTPServerOptions(
                options: switches, host: listen.host, port: listen.port,
                statsPort: listen.statsPort))
    }

    package func startServing() async throws -> ComponentReady {
        let ports = try await start()
        return ComponentReady(port: ports.port, statsPort: ports.statsPort)
    }
}
