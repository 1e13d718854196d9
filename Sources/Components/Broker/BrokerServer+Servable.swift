import ComponentKit
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `surge serve broker`. SIGUSR2 puts the broker in lame-duck mode, as it does nats-server: once
/// every client is closed the process exits with status 0.
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
        signal(SIGUSR2, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGUSR2, queue: .global())
        source.setEventHandler {
            self.startLameDuck { exit(0) }
        }
        source.resume()
        _ = Unmanaged.passRetained(source as AnyObject)  // lives as long as the process (one component per serve)
        let ports = try await start()
        return ComponentReady(port: ports.port, statsPort: ports.statsPort)
    }
}
