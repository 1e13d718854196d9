#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The micro-benchmark protocol a component speaks in micro mode (`surge serve router -o micro=OP`),
/// one TCP connection at a time on 127.0.0.1, one line per request:
///
///     run N\n   →  ok N NANOSECONDS\n     (the operation ran N times, back to back, in NANOSECONDS)
///     quit\n    →  the connection closes
///     other     →  error TEXT\n
///
/// The `micro` workload sends `run N` inside the measurement window, so the window holds the N
/// operations and nothing else: requests are read into a preallocated buffer, parsed and answered
/// without any heap allocation, so allocation probes count the operation's allocations exactly.
package final class MicroBenchServer: Sendable {
    /// Runs the operation `iterations` times.
    package typealias Operation = @Sendable (_ iterations: Int) -> Void

    private let listener: Int32
    package let port: Int
    private let operation: Operation
    private let stopped = Atomic<Bool>(false)
    private let totalOps = Atomic<Int>(0)

    /// Binds `host:port` (0 = any free port) and serves from a thread of its own.
    package init(host: String, port: Int, operation: @escaping Operation) throws {
        self.operation = operation
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ComponentBindError(what: "micro port", host: host, port: port, reason: Self.errno()) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(fd)
            throw ComponentBindError(what: "micro port", host: host, port: port, reason: "not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            let reason = Self.errno()
            close(fd)
            throw ComponentBindError(what: "micro port", host: host, port: port, reason: reason)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [self] in serve() }
        thread.name = "surge-micro"
        thread.start()
    }

    /// Operations run so far (for the stats port).
    package var operations: Int { totalOps.load(ordering: .relaxed) }

    package func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func errno() -> String { String(cString: strerror(Glibc.errno)) }

    private func serve() {
        let capacity = 256
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer {
            input.deallocate()
            output.deallocate()
        }
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if Glibc.errno == EINTR { continue }
                return
            }
            session(client, input: input, output: output, capacity: capacity)
            close(client)
        }
    }

    private func session(_ fd: Int32, input: UnsafeMutablePointer<UInt8>, output: UnsafeMutablePointer<UInt8>, capacity: Int) {
        var used = 0
        while true {
            let n = read(fd, input + used, capacity - used)
            if n <= 0 { return }
            used += n
            while true {
                var newline = 0
                while newline < used && input[newline] != 10 { newline += 1 }
                if newline == used { break }
                let reply = answer(UnsafeBufferPointer(start: input, count: newline), into: output, capacity: capacity)
                if reply < 0 { return }
                var sent = 0
                while sent < reply {
                    let w = write(fd, output + sent, reply - sent)
                    if w <= 0 { return }
                    sent += w
                }
                let rest = used - newline - 1
                if rest > 0 { memmove(input, input + newline + 1, rest) }
                used = rest
            }
            if used == capacity { return }
        }
    }

    /// Writes the reply for one request line into `out`; returns its length, or -1 to close.
    /// No closure or nested function here: at -Onone their captured variables would be boxed on the heap.
    private func answer(_ line: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int {
        var reply = MicroReply(out: out, capacity: capacity)
        if Self.equals(line, "quit") { return -1 }
        var n = 0
        var digits = 0
        if line.count > 4, Self.equals(UnsafeBufferPointer(rebasing: line[0..<4]), "run ") {
            for i in 4..<line.count {
                let b = line[i]
                guard b >= 48, b <= 57, digits < 12 else {
                    digits = 0
                    break
                }
                n = n * 10 + Int(b - 48)
                digits += 1
            }
        }
        guard digits > 0, n > 0 else {
            reply.put("error expected 'run N' (N > 0) or 'quit'\n")
            return reply.length
        }
        let start = Handicap.monotonicNanoseconds()
        operation(n)
        let elapsed = Handicap.monotonicNanoseconds() - start
        totalOps.add(n, ordering: .relaxed)
        reply.put("ok ")
        reply.put(UInt64(n))
        reply.put(" ")
        reply.put(elapsed)
        reply.put("\n")
        return reply.length
    }

    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        let p = text.utf8Start
        var i = 0
        while i < bytes.count {
            if bytes[i] != p[i] { return false }
            i += 1
        }
        return true
    }
}

/// A reply line written into preallocated memory.
private struct MicroReply {
    let out: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var length = 0

    init(out: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.out = out
        self.capacity = capacity
    }

    mutating func put(_ text: StaticString) {
        let p = text.utf8Start
        var i = 0
        while i < text.utf8CodeUnitCount && length < capacity {
            out[length] = p[i]
            length += 1
            i += 1
        }
    }

    /// Decimal digits, most significant first.
    mutating func put(_ value: UInt64) {
        var width = 1
        var rest = value / 10
        while rest > 0 {
            width += 1
            rest /= 10
        }
        guard length + width <= capacity else { return }
        var v = value
        var i = width - 1
        while i >= 0 {
            out[length + i] = UInt8(48 + v % 10)
            v /= 10
            i -= 1
        }
        length += width
    }
}
