#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NATSWire
import NIOCore

/// A blocking loopback TCP connection for tests: sends raw protocol text and parses what comes back
/// with `NATSServerOpParser`. Reads wait with `poll` and a deadline, so a test never hangs.
final class RawNATSConnection {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let fd: Int32
    private var inbox = ByteBuffer()
    private var parser = NATSServerOpParser()
    private(set) var sawEOF = false
    private(set) var info: [String: Any] = [:]

    /// Connects to 127.0.0.1:`port`; with `receiveBuffer` the socket's SO_RCVBUF is shrunk first.
    init(port: Int, receiveBuffer: Int32? = nil, expectInfo: Bool = true) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw Failure(description: "connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        if expectInfo {
            guard case .info(let json) = try next() else { throw Failure(description: "no INFO on connect") }
            info = (try JSONSerialization.jsonObject(with: Data(json.readableBytesView)) as? [String: Any]) ?? [:]
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure(description: "send failed: errno \(errno)") }
            sent += n
        }
    }

    /// The next operation, or nil at end of stream; throws when nothing arrives within `timeout` seconds.
    func next(timeout: Double = 5) throws -> NATSServerOp? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let op = try parser.next(&inbox) { return op }
            if sawEOF { return nil }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { throw Failure(description: "no complete operation within \(timeout)s") }
            try fill(timeoutMs: Int32(left * 1000) + 1)
        }
    }

    /// Reads operations until `done` says so, the stream ends, or the timeout passes (then throws).
    func collect(timeout: Double = 5, until done: ([NATSServerOp]) -> Bool) throws -> [NATSServerOp] {
        var ops: [NATSServerOp] = []
        let deadline = Date().addingTimeInterval(timeout)
        while !done(ops) {
            guard let op = try next(timeout: max(0.001, deadline.timeIntervalSinceNow)) else { break }
            ops.append(op)
        }
        return ops
    }

    /// Sends PING and returns everything that arrived before the PONG.
    func roundTrip(timeout: Double = 5) throws -> [NATSServerOp] {
        try send("PING\r\n")
        var ops = try collect(timeout: timeout) { $0.last == .pong }
        guard ops.last == .pong else { throw Failure(description: "no PONG; got \(ops)") }
        ops.removeLast()
        return ops
    }

    /// Whether the peer closes the connection within `timeout` seconds (reading and dropping data).
    func closedByPeer(timeout: Double = 3) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !sawEOF && deadline.timeIntervalSinceNow > 0 {
            _ = try? next(timeout: max(0.001, deadline.timeIntervalSinceNow))
        }
        return sawEOF
    }

    private func fill(timeoutMs: Int32) throws {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, timeoutMs)
        if r <= 0 { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { sawEOF = true; return }
        if n < 0 {
            if errno == ECONNRESET { sawEOF = true; return }
            throw Failure(description: "recv failed: errno \(errno)")
        }
        inbox.writeBytes(chunk[0..<n])
    }
}

/// A plain HTTP GET over loopback; returns the raw response.
func httpGet(port: Int, path: String = "/") throws -> String {
    let conn = try RawNATSConnection(port: port, expectInfo: false)
    try conn.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    var out = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(5)
    while deadline.timeIntervalSinceNow > 0 {
        var p = pollfd(fd: conn.fd, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, 100) <= 0 { continue }
        let n = chunk.withUnsafeMutableBytes { recv(conn.fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        out += chunk[0..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

/// The broker's counters and gauges in one dictionary, read through its stats port.
func brokerStats(port: Int) throws -> [String: Int] {
    let response = try httpGet(port: port)
    guard let body = response.components(separatedBy: "\r\n\r\n").last,
          let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
          let counters = object["counters"] as? [String: Any], let gauges = object["gauges"] as? [String: Any] else {
        throw RawNATSConnection.Failure(description: "bad stats response: \(response)")
    }
    return counters.merging(gauges) { a, _ in a }.compactMapValues { ($0 as? NSNumber)?.intValue }
}

extension NATSServerOp {
    var payloadText: String? {
        switch self {
        case .msg(_, _, _, let p), .hmsg(_, _, _, _, let p): return String(buffer: p)
        default: return nil
        }
    }

    var msgSid: UInt64? {
        switch self {
        case .msg(_, let sid, _, _), .hmsg(_, let sid, _, _, _): return sid
        default: return nil
        }
    }

    var msgSubject: String? {
        switch self {
        case .msg(let s, _, _, _), .hmsg(let s, _, _, _, _): return String(buffer: s)
        default: return nil
        }
    }
}
