import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small blocking socket operations the runner needs outside the load path: is a port open, find a
/// free port, fetch a component's stats.
enum TCPProbe {
    /// True when a TCP connection to `host:port` succeeds within 200 ms.
    static func accepts(host: String, port: Int) -> Bool {
        guard let fd = connect(host: host, port: port, timeoutMillis: 200) else { return false }
        close(fd)
        return true
    }

    /// A port the kernel says is free on `host` now (bind to 0, read it back, close).
    static func freePort(host: String = "127.0.0.1") throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TargetError.spawnFailed(argv: [], reason: "socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw TargetError.spawnFailed(argv: [], reason: "bind(): \(String(cString: strerror(errno)))") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Opens a TCP connection (IPv4 or IPv6 literal, or `localhost`), or nil.
    static func connect(host: String, port: Int, timeoutMillis: Int32) -> Int32? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let info = res else { return nil }
        defer { freeaddrinfo(res) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let rc = Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
        if rc != 0 && errno != EINPROGRESS {
            close(fd)
            return nil
        }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&pfd, 1, timeoutMillis) == 1 else {
            close(fd)
            return nil
        }
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        guard err == 0 else {
            close(fd)
            return nil
        }
        _ = fcntl(fd, F_SETFL, flags)
        return fd
    }
}

/// Reads a component's stats: `GET /stats` on its stats port, answered with
/// `{"counters":{…},"gauges":{…}}` (a flat object of numbers, as other programs may serve, is read
/// as counters only).
public enum StatsClient {
    public struct StatsError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func fetch(host: String, port: Int, timeout: Double = 2) throws -> TargetStats {
        guard let fd = TCPProbe.connect(host: host, port: port, timeoutMillis: Int32(timeout * 1000)) else {
            throw StatsError(description: "cannot connect to the stats port \(host):\(port)")
        }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET /stats HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var response = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            response.append(contentsOf: buf[..<n])
            if response.count > 4 << 20 { break }
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n") else {
            throw StatsError(description: "the stats port \(host):\(port) did not answer with HTTP")
        }
        let body = text[headerEnd.upperBound...]
        guard let obj = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw StatsError(description: "the stats port \(host):\(port) did not send a JSON object")
        }
        func numbers(_ any: Any?) -> [String: Double] {
            ((any as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        if obj["counters"] is [String: Any] || obj["gauges"] is [String: Any] {
            return TargetStats(counters: numbers(obj["counters"]), gauges: numbers(obj["gauges"]))
        }
        return TargetStats(counters: numbers(obj), gauges: [:])
    }
}
