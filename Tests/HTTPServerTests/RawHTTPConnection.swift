import Foundation
import HTTPWire
import NIOCore

/// A blocking TCP client for tests: sends exact bytes and parses what the server answers, so tests
/// see the wire as a real client does (partial writes, pipelining, closes).
final class RawHTTPConnection {
    let fd: Int32
    private var parser: HTTPResponseParser
    private var pending = ByteBuffer()
    private(set) var peerClosed = false

    init(port: Int, timeoutSeconds: Int = 5, headRequests: Bool = false, collect: Bool = true) throws {
        parser = HTTPResponseParser(collect: collect, headRequests: headRequests)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads until `count` responses arrived, the peer closed, or the receive timeout passed.
    func responses(_ count: Int) -> [HTTPResponse] {
        var out: [HTTPResponse] = []
        while out.count < count {
            while out.count < count, let r = try? parser.next(&pending) { out.append(r) }
            if out.count >= count || !readMore() { break }
        }
        if out.count < count, peerClosed, let r = try? parser.finish() { out.append(r) }
        if pending.readableBytes == 0 { pending = ByteBuffer() }
        return out
    }

    func response() -> HTTPResponse? { responses(1).first }

    /// Every byte until the peer closes or the timeout passes, without parsing.
    func readRaw() -> [UInt8] {
        while readMore() {}
        let bytes = pending.readBytes(length: pending.readableBytes) ?? []
        pending = ByteBuffer()
        return bytes
    }

    /// Shuts the sending side down (half-close): the server sees EOF but can still answer.
    func shutdownOutput() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads until the peer closes (true) or the timeout passes (false); bytes read are discarded.
    func waitForClose() -> Bool {
        while readMore() {}
        return peerClosed
    }

    private func readMore() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            pending.writeBytes(chunk[0..<n])
            return true
        }
        if n == 0 { peerClosed = true }
        return false
    }
}
