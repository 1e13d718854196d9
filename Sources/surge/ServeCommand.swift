import ArgumentParser
import Broker
import HTTPServer
import Foundation
import Mesh
import SurgeRunner

/// A built-in component as `surge serve` and `surge list` see it.
struct ComponentEntry {
    var name: String
    var summary: String
    var options: [(name: String, help: String, defaultValue: String)]
    /// Starts the component; returns its ports and a way to stop it.
    var start: @Sendable (_ options: [String: String], _ host: String, _ port: Int, _ statsPort: Int) async throws -> (port: Int, statsPort: Int, stop: @Sendable () async -> Void)
    /// Extra numeric fields of the ready line (a mesh node's `peer_port`), read after `start`.
    var readyFields: (@Sendable () -> [(String, Int)])? = nil
}

/// Every component `surge serve` can run. Components know nothing of the harness; this table is
/// the only place that links them.
enum ComponentCatalog {
    static let all: [ComponentEntry] = [
        ComponentEntry(
            name: "broker", summary: "NATS-protocol message broker (pub/sub, queue groups, wildcards)",
            options: BrokerOptions.optionHelp,
            start: { options, host, port, statsPort in
                let server = BrokerServer(options: try BrokerOptions(options: options, host: host, port: port, statsPort: statsPort))
                let ports = try await server.start()
                return (ports.port, ports.statsPort, { await server.stop() })
            }),
        ComponentEntry(
            name: "http", summary: "HTTP/1.1 server (keep-alive, pipelining, chunked; /plaintext /json /echo /bytes/N /delay/MS)",
            options: HTTPServerOptions.optionHelp,
            start: { options, host, port, statsPort in
                let server = HTTPServer(options: try HTTPServerOptions(options: options, host: host, port: port, statsPort: statsPort))
                let ports = try await server.start()
                return (ports.port, ports.statsPort, { await server.stop() })
            }),
        MeshNodeEntry.entry,
    ]

    /// Tells the scenario validator which component names exist.
    static func register() {
        ScenarioValidator.knownComponents = all.map(\.name)
    }
}

/// `surge serve COMPONENT`: runs a built-in component on its own, as `surge run` does for a target.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a built-in component (\(ComponentCatalog.all.map(\.name).joined(separator: ", "))).",
        discussion: """
            Prints one ready line on standard output, {"ready":true,"port":N,"stats_port":M}, then \
            serves until SIGINT or SIGTERM. The component's counters are JSON at http://HOST:M/. \
            Options are the component's switches (see `surge list`), e.g. -o flush=immediate.
            """
    )

    @Argument(help: "The component to serve.")
    var component: String

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Client port (0 = any free port).")
    var port = 0

    @Option(help: "Stats port (0 = any free port).")
    var statsPort = 0

    @Option(name: [.customShort("o"), .customLong("option")], help: "A component switch as key=value (repeatable).")
    var options: [String] = []

    func validate() throws {
        guard ComponentCatalog.all.contains(where: { $0.name == component }) else {
            throw ValidationError("unknown component '\(component)'; built in: \(ComponentCatalog.all.map(\.name).joined(separator: ", "))")
        }
        for o in options where !o.contains("=") {
            throw ValidationError("-o '\(o)': expected key=value")
        }
    }

    func run() async throws {
        let entry = ComponentCatalog.all.first { $0.name == component }!
        var dict: [String: String] = [:]
        for o in options {
            let parts = o.split(separator: "=", maxSplits: 1)
            dict[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let started: (port: Int, statsPort: Int, stop: @Sendable () async -> Void)
        do {
            started = try await entry.start(dict, host, port, statsPort)
        } catch {
            FileHandle.standardError.write(Data("surge serve \(component): \(error)\n".utf8))
            throw ExitCode(1)
        }
        let extra = (entry.readyFields?() ?? []).map { ",\"\($0.0)\":\($0.1)" }.joined()
        FileHandle.standardOutput.write(Data(#"{"ready":true,"port":\#(started.port),"stats_port":\#(started.statsPort)\#(extra)}"#.utf8 + [0x0A]))
        await SignalWaiter.waitForTermination()
        await started.stop()
    }
}

/// Suspends until SIGINT or SIGTERM arrives.
enum SignalWaiter {
    static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Once()
            var sources: [any DispatchSourceSignal] = []
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { if once.claim() { continuation.resume() } }
                source.resume()
                sources.append(source)
            }
            SignalSources.keep(sources)
        }
    }

    private final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        func claim() -> Bool { lock.withLock { defer { done = true }; return !done } }
    }

    private enum SignalSources {
        nonisolated(unsafe) static var kept: [any DispatchSourceSignal] = []
        static func keep(_ s: [any DispatchSourceSignal]) { kept += s }
    }
}
