#if canImport(Glibc)
import Glibc
#endif
import Broker
import Foundation
import NIOCore
import NIOPosix
import SurgeLoad
import XCTest

/// A NATS server for a test: the built-in broker in this process, or Debian's nats-server as a child.
final class NATSTarget {
    let name: String
    let endpoint: Endpoint
    let process: Process?
    private let broker: BrokerServer?

    private init(name: String, endpoint: Endpoint, process: Process?, broker: BrokerServer?) {
        self.name = name
        self.endpoint = endpoint
        self.process = process
        self.broker = broker
    }

    static func builtIn(_ options: [String: String] = [:]) async throws -> NATSTarget {
        let server = BrokerServer(options: try BrokerOptions(options: options))
        let (port, _) = try await server.start()
        return NATSTarget(name: "built-in broker", endpoint: Endpoint(host: "127.0.0.1", port: port), process: nil, broker: server)
    }

    /// The path of `nats-server` on PATH, or nil.
    static var natsServerPath: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/sbin").split(separator: ":") {
            let path = "\(dir)/nats-server"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        for path in ["/usr/sbin/nats-server", "/usr/bin/nats-server"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return nil
    }

    /// Starts `nats-server -a 127.0.0.1 -p PORT`, or throws XCTSkip when it is not installed.
    static func natsServer() async throws -> NATSTarget {
        guard let path = natsServerPath else {
            throw XCTSkip("nats-server is not on PATH (Debian package nats-server); skipping the comparison against it")
        }
        return try await external(path: path, name: "nats-server") { ["-a", "127.0.0.1", "-p", String($0)] }
    }

    /// Starts an external server binary given its arguments for a free port, and waits for the port.
    static func external(path: String, name: String, arguments: (Int) -> [String]) async throws -> NATSTarget {
        let port = try freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments(port)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(10)
        while !canConnect(port: port) {
            if Date() > deadline || !p.isRunning {
                p.terminate()
                throw XCTSkip("\(name) did not accept connections on 127.0.0.1:\(port) within 10s")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return NATSTarget(name: name, endpoint: Endpoint(host: "127.0.0.1", port: port), process: p, broker: nil)
    }

    func stop() async {
        if let broker { await broker.stop() }
        if let process, process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 10_000_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) } // an xctest child may ignore SIGTERM
            process.waitUntilExit()
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw XCTSkip("cannot bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// Builds the workload from string parameters, runs `phases` on one session and returns the outcomes.
func runWorkload<W: Workload>(_ type: W.Type, _ params: [String: String], against target: NATSTarget,
                              phases: [WorkloadPhase] = [.measure], group: EventLoopGroup) async throws -> [WorkloadOutcome] {
    let workload = try W(parameters: WorkloadParameters(params.mapValues { .scalar($0) }))
    let session = try await workload.makeSession(endpoints: [target.endpoint], group: group)
    var outcomes: [WorkloadOutcome] = []
    do {
        for phase in phases { outcomes.append(try await session.run(phase, progress: { _ in })) }
    } catch {
        await session.close()
        throw error
    }
    await session.close()
    return outcomes
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
