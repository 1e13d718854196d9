import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking loopback TCP client for wire tests: sends exact bytes, reads with `poll` and a
/// deadline (a test never hangs), and tells a close by the peer from a silent peer.
public final class RawTCPConnection {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public let fd: Int32
    /// True once the peer closed (read returned 0, or the connection was reset).
    public private(set) var peerClosed = false

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port) failed: errno \(e)")
        }
    }

    deinit { close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure(description: "send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Shuts down the sending side (the peer reads end of stream).
    public func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Whatever arrives within `timeout` seconds, or until the peer closes.
    public func receive(timeout: Double = 5) -> [UInt8] {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while !peerClosed, deadline.timeIntervalSinceNow > 0 {
            _ = readOnce(into: &out, timeoutMs: Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
        }
        return out
    }

    /// Reads until the peer closes (the text, and true) or `timeout` seconds pass (what came, false).
    public func receiveUntilClosed(timeout: Double = 5) -> (text: String, closed: Bool) {
        let bytes = receive(timeout: timeout)
        return (String(decoding: bytes, as: UTF8.self), peerClosed)
    }

    /// Reads until `done` holds for the bytes so far, the peer closes, or `timeout` passes.
    public func receive(timeout: Double = 5, until done: ([UInt8]) -> Bool) -> [UInt8] {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while !done(out), !peerClosed, deadline.timeIntervalSinceNow > 0 {
            _ = readOnce(into: &out, timeoutMs: Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
        }
        return out
    }

    private func readOnce(into out: inout [UInt8], timeoutMs: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeoutMs) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            out += chunk[0..<n]
            return true
        }
        if n == 0 || errno == ECONNRESET { peerClosed = true }
        return false
    }
}

/// An HTTP/1.1 response as raw text, split for assertions.
public struct RawHTTPResponse: Sendable {
    public var text: String

    public init(_ text: String) { self.text = text }

    /// The status code of the status line, or nil when there is none.
    public var status: Int? {
        let parts = text.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
        return parts.count >= 2 && parts[0].hasPrefix("HTTP/1.") ? Int(parts[1]) : nil
    }

    /// The header section (after the status line), or "" when incomplete.
    public var head: String {
        guard let end = text.range(of: "\r\n\r\n") else { return "" }
        return String(text[..<end.lowerBound])
    }

    /// Everything after the blank line that ends the head.
    public var body: String {
        guard let end = text.range(of: "\r\n\r\n") else { return "" }
        return String(text[end.upperBound...])
    }

    /// A header's value (case-insensitive name), the first if repeated.
    public func header(_ name: String) -> String? {
        for line in head.components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

/// A component's stats port, read the way the runner reads it: counters and gauges in one
/// dictionary for assertions, or apart.
public enum ComponentStatsReader {
    /// `GET /` on 127.0.0.1:`port`: the counters and gauges sections.
    public static func sections(port: Int) throws -> (counters: [String: Int], gauges: [String: Int]) {
        let c = try RawTCPConnection(port: port)
        try c.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let response = RawHTTPResponse(c.receiveUntilClosed().text)
        guard response.status == 200,
            let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
            let counters = object["counters"] as? [String: Any], let gauges = object["gauges"] as? [String: Any]
        else {
            throw RawTCPConnection.Failure(description: "bad stats response from port \(port): \(response.text)")
        }
        func ints(_ d: [String: Any]) -> [String: Int] { d.compactMapValues { ($0 as? NSNumber)?.intValue } }
        return (ints(counters), ints(gauges))
    }

    /// Counters and gauges merged (their names never clash).
    public static func all(port: Int) throws -> [String: Int] {
        let s = try sections(port: port)
        return s.counters.merging(s.gauges) { a, _ in a }
    }
}
