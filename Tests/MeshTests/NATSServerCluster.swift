import Foundation
import SurgeTestKit
#if canImport(Glibc)
import Glibc
#endif

/// `size` nats-server processes on 127.0.0.1 joined into one cluster by routes (each names the others'
/// cluster ports), ready once every one's `/routez` counts a route to each other; stopped by `stop`.
final class NATSServerCluster {
    let clientPorts: [Int]
    private var processes: [Process] = []

    init(size: Int) throws {
        guard let server = SurgeBinary.which("nats-server") else { throw CheckFailed(what: "nats-server not on PATH") }
        let ports = try Self.freePorts(3 * size)
        clientPorts = Array(ports.prefix(size))
        let clusterPorts = Array(ports[size..<(2 * size)])
        let monitorPorts = Array(ports.suffix(size))
        for i in 0..<size {
            let routes = clusterPorts.enumerated().filter { $0.offset != i }.map { "nats://127.0.0.1:\($0.element)" }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: server)
            p.arguments = ["-a", "127.0.0.1", "-p", "\(clientPorts[i])", "-m", "\(monitorPorts[i])",
                           "--cluster", "nats://127.0.0.1:\(clusterPorts[i])", "--routes", routes.joined(separator: ",")]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            processes.append(p)
        }
        // Ready when every server's /routez counts a route to each other one.
        let deadline = Date().addingTimeInterval(10)
        while true {
            let routed = monitorPorts.map { Self.routes(monitorPort: $0) }
            if routed.allSatisfy({ $0 == size - 1 }) { break }
            if Date() > deadline {
                stop()
                throw CheckFailed(what: "nats-server cluster did not form (routes per server \(routed))")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    private static func routes(monitorPort: Int) -> Int {
        guard let c = try? RawTCPConnection(port: monitorPort), (try? c.send("GET /routez HTTP/1.0\r\n\r\n")) != nil
        else { return -1 }
        let text = c.receiveUntilClosed(timeout: 2).text
        guard let r = text.range(of: "\"num_routes\":") else { return -1 }
        return Int(text[r.upperBound...].prefix { $0 == " " || $0.isNumber }.trimmingCharacters(in: .whitespaces)) ?? -1
    }

    func stop() {
        for p in processes where p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        processes.removeAll()
    }

    /// `count` distinct ports the kernel just handed out for 127.0.0.1 (all bound at once, then freed).
    static func freePorts(_ count: Int) throws -> [Int] {
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw CheckFailed(what: "socket() failed: errno \(errno)") }
            fds.append(fd)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                    bind(fd, p, len) == 0 && getsockname(fd, p, &len) == 0
                }
            }
            guard bound else { throw CheckFailed(what: "bind to 127.0.0.1:0 failed: errno \(errno)") }
            ports.append(Int(UInt16(bigEndian: addr.sin_port)))
        }
        return ports
    }
}
