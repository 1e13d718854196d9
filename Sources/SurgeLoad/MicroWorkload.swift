import Foundation
import NIOCore

/// `micro`: an in-process operation measured like Go's testing.B, in a child Surge measures. The
/// target (`surge serve router -o micro=OP`, `surge serve stream -o micro=OP`, or any program
/// speaking the protocol on `{port}`) runs the operation N times per `run N\n` and answers
/// `ok N NANOSECONDS\n` (see ComponentKit's MicroBenchServer). The measured window holds exactly
/// one `run N`, so the allocation probe's count divided by N is allocs/op, its bytes B/op.
public struct MicroWorkload: Workload {
    public static let kind = "micro"
    public static let summary = "runs a target's micro operation N times per repetition (ns/op; probes give allocs/op, B/op)"
    public static let keyMetrics: [KeyMetric] = [KeyMetric("ns/op", threshold: 0.05), KeyMetric("allocs/op", threshold: 0)]
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("iterations", .integer, "operations per repetition (one `run N`)", default: "100000"),
        ParameterSpec("warmup-batch", .integer, "operations per `run` during the warm-up", default: "10000"),
    ]

    public let iterations: Int
    public let warmupBatch: Int

    public init(parameters p: WorkloadParameters) throws {
        iterations = try p.int("iterations", default: 100_000, range: 1...1_000_000_000_000)
        warmupBatch = try p.int("warmup-batch", default: 10_000, range: 1...1_000_000_000)
    }

    public func makeSession(endpoints: [Endpoint], group: any EventLoopGroup) async throws -> any WorkloadSession {
        guard let endpoint = endpoints.first else { throw MicroProtocolError(description: "micro needs the target's port") }
        return try MicroSession(self, connection: MicroConnection(endpoint))
    }
}

/// The target broke the micro protocol or the connection.
public struct MicroProtocolError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

final class MicroSession: WorkloadSession {
    let workload: MicroWorkload
    let connection: MicroConnection

    init(_ w: MicroWorkload, connection: MicroConnection) throws {
        workload = w
        self.connection = connection
    }

    func run(_ phase: WorkloadPhase, progress: @escaping ProgressHandler) async throws -> WorkloadOutcome {
        let (w, c) = (workload, connection)
        return try await Task.detached {
            switch phase {
            case .warmup(let seconds):
                let end = Date().addingTimeInterval(seconds)
                var ops = 0
                var ns: UInt64 = 0
                repeat {
                    let r = try c.run(w.warmupBatch)
                    ops += r.n
                    ns += r.nanoseconds
                } while Date() < end
                return WorkloadOutcome(operations: ops, elapsedSeconds: Double(ns) / 1e9)
            case .measure:
                let r = try c.run(w.iterations)
                progress(1)
                return WorkloadOutcome(
                    operations: r.n, elapsedSeconds: Double(r.nanoseconds) / 1e9,
                    metrics: ["ns/op": Double(r.nanoseconds) / Double(r.n)])
            }
        }.value
    }

    func close() async { connection.close() }
}

/// A blocking connection speaking the micro protocol (one request at a time).
final class MicroConnection: Sendable {
    let fd: Int32
    let endpoint: Endpoint

    init(_ endpoint: Endpoint) throws {
        self.endpoint = endpoint
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(endpoint.port).bigEndian)
        guard fd >= 0, inet_pton(AF_INET, endpoint.host, &addr.sin_addr) == 1 else {
            if fd >= 0 { Glibc.close(fd) }
            throw MicroProtocolError(description: "micro: cannot connect to \(endpoint) (an IPv4 address is needed)")
        }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw MicroProtocolError(description: "micro: cannot connect to \(endpoint): \(reason)")
        }
        self.fd = fd
    }

    /// Sends `run n` and waits for `ok n NS`.
    func run(_ n: Int) throws -> (n: Int, nanoseconds: UInt64) {
        let request = Array("run \(n)\n".utf8)
        guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else {
            throw MicroProtocolError(description: "micro: the target at \(endpoint) closed the connection")
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let r = read(fd, &byte, 1)
            guard r == 1 else { throw MicroProtocolError(description: "micro: the target at \(endpoint) closed the connection") }
            if byte == 10 { break }
            line.append(byte)
            if line.count > 4096 { throw MicroProtocolError(description: "micro: reply line over 4096 bytes") }
        }
        let text = String(decoding: line, as: UTF8.self)
        let parts = text.split(separator: " ")
        guard parts.count == 3, parts[0] == "ok", let got = Int(parts[1]), got == n, let ns = UInt64(parts[2]) else {
            throw MicroProtocolError(description: "micro: expected 'ok \(n) NANOSECONDS', the target answered '\(text)'")
        }
        return (got, ns)
    }

    func close() {
        _ = "quit\n".utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, 5) }
        Glibc.close(fd)
    }
}
