import ArgumentParser
import ComponentKit
import Foundation

/// `surge serve COMPONENT`: runs a built-in component on its own, as `surge run` does for a target.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a built-in component (\(ComponentCatalog.names.joined(separator: ", "))).",
        usage: "surge serve <component> [--port N] [-o key=value ...] [<options>]",
        discussion: """
            Prints one ready line on standard output, {"ready":true,"port":N,"stats_port":M}, then \
            serves until SIGINT or SIGTERM. The component's counters and gauges are JSON at \
            http://HOST:M/ ({"counters":{...},"gauges":{...},"info":{...}}). Options are the \
            component's switches (see `surge list`), e.g. -o flush=immediate.
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

    @Option(help: "The broker a stream processor uses, HOST:PORT (the same as -o broker=HOST:PORT).")
    var broker: String?

    @Option(help: "Serve the micro-benchmark protocol for this operation (the same as -o micro=OP).")
    var micro: String?

    @Option(name: [.customShort("o"), .customLong("option")], help: "A component switch as key=value (repeatable).")
    var options: [String] = []

    func validate() throws {
        guard ComponentCatalog.named(component) != nil else {
            throw ValidationError(
                "unknown component '\(component)'; built in: \(ComponentCatalog.names.joined(separator: ", "))")
        }
        for (name, value) in [("--port", port), ("--stats-port", statsPort)] where !(0...65535).contains(value) {
            throw ValidationError("\(name) \(value): expected a port in 0...65535 (0 = any free port)")
        }
        for o in options where !o.contains("=") {
            throw ValidationError("-o '\(o)': expected key=value")
        }
    }

    func run() async throws {
        guard let type = ComponentCatalog.named(component) else { throw ExitCode(1) }
        var switches: [String: String] = [:]
        for o in options {
            let parts = o.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            switches[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        if let broker { switches["broker"] = broker }
        if let micro { switches["micro"] = micro }
        // Before anything is bound or printed: a signal from now on is never lost.
        let signals = try TerminationSignals.install()
        let server: any ServableComponent
        let ready: ComponentReady
        do {
            server = try type.init(
                switches: switches, listen: ComponentListenAddress(host: host, port: port, statsPort: statsPort))
            ready = try await server.startServing()
        } catch {
            FileHandle.standardError.write(Data("surge serve \(component): \(error)\n".utf8))
            throw ExitCode(1)
        }
        FileHandle.standardOutput.write(Data((ready.readyLine + "\n").utf8))
        _ = await signals.wait()
        await server.stop()
    }
}
