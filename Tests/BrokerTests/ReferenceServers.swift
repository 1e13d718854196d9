#if canImport(Glibc)
import Glibc
#endif
import Broker
import Foundation
import SurgeTestKit
import XCTest

/// One of the two servers a parity test runs against: the built-in broker (in this process) or
/// Debian's nats-server (a child on 127.0.0.1 with a config file written for the test).
struct NATSUnderTest {
    var name: String
    var port: Int
    /// The built-in broker's stats port, nats-server's monitoring port.
    var monitorPort: Int
    var isNATSServer: Bool
    /// Sends `signal` to nats-server's process, or runs the built-in broker's lame duck (SIGUSR2's meaning).
    var lameDuck: @Sendable () -> Void
}

/// A nats-server child process, started on free ports and stopped (SIGKILL if need be) by `stop`.
final class ReferenceNATSServer {
    let port: Int
    let monitorPort: Int
    let process: Process
    private let dir: String

    static var path: String? {
        ["/usr/sbin/nats-server", "/usr/bin/nats-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts nats-server with `config` (nats-server config syntax), or skips when it is not installed.
    init(config: String) throws {
        guard let path = Self.path else { try requireOrSkip("nats-server is not installed (Debian package nats-server)") }
        port = try freeTCPPort()
        var m = try freeTCPPort()
        while m == port { m = try freeTCPPort() }
        monitorPort = m
        dir = SurgeBinary.tempDir("nats-server")
        let file = dir + "/nats.conf"
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-a", "127.0.0.1", "-p", "\(port)", "-m", "\(monitorPort)", "-c", file]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !(canConnect(port) && canConnect(monitorPort)) {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw RawTCPConnection.Failure(description: "nats-server did not listen on \(port) within 10s")
            }
            usleep(20_000)
        }
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stop() }

    private func canConnect(_ port: Int) -> Bool { (try? RawTCPConnection(port: port)) != nil }
}

/// A TCP port nobody listens on right now.
func freeTCPPort() throws -> Int { try LoopbackPort.free() }

/// Runs `body` against the built-in broker with `options`, then against nats-server with `config`
/// (the same settings in nats-server's terms), so one set of assertions proves the two agree.
func againstBoth(
    broker options: [String: String] = [:], natsServer config: String = "", _ body: (NATSUnderTest) throws -> Void
) async throws {
    let server = BrokerServer(options: try BrokerOptions(options: options))
    let (port, statsPort) = try await server.start()
    do {
        try body(
            NATSUnderTest(
                name: "built-in broker", port: port, monitorPort: statsPort, isNATSServer: false,
                lameDuck: { server.startLameDuck() }))
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
    let reference = try ReferenceNATSServer(config: config)
    defer { reference.stop() }
    let pid = reference.process.processIdentifier
    try body(
        NATSUnderTest(
            name: "nats-server", port: reference.port, monitorPort: reference.monitorPort, isNATSServer: true,
            lameDuck: { kill(pid, SIGUSR2) }))
}

/// `GET path` on 127.0.0.1:`port`: the status and the JSON object of the body (nil when not JSON).
func monitor(port: Int, _ path: String) throws -> (status: Int?, json: [String: Any]?) {
    let c = try RawTCPConnection(port: port)
    try c.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    let r = RawHTTPResponse(c.receiveUntilClosed().text)
    let object = try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
    return (r.status, object)
}
