import Foundation
import HTTPServer
import NIOCore
import NIOPosix
import SurgeLoad
import XCTest

/// Runs a workload kind with scenario-style parameters against `port` and returns the outcome.
func runWorkload(_ kind: String, _ values: [String: String], port: Int, headers: [String]? = nil, warmup: Double = 0) async throws -> WorkloadOutcome {
    guard let type = WorkloadRegistry.type(forKind: kind) else { throw POSIXError(.ENOENT) }
    var parameters = values.mapValues { WorkloadParameters.Value.scalar($0) }
    if let headers { parameters["headers"] = .list(headers) }
    let workload = try type.init(parameters: WorkloadParameters(parameters))
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let session = try await workload.makeSession(endpoints: [Endpoint(host: "127.0.0.1", port: port)], group: group)
    do {
        if warmup > 0 { _ = try await session.run(.warmup(seconds: warmup)) { _ in } }
        let outcome = try await session.run(.measure) { _ in }
        await session.close()
        try await group.shutdownGracefully()
        return outcome
    } catch {
        await session.close()
        try await group.shutdownGracefully()
        throw error
    }
}

/// The built-in server's stats endpoint: counters and gauges in one dictionary.
func serverStats(_ statsPort: Int) async throws -> [String: Int] {
    let outcome = try await fetch(port: statsPort)
    let object = try JSONSerialization.jsonObject(with: Data(outcome.utf8)) as? [String: Any] ?? [:]
    let counters = object["counters"] as? [String: Any] ?? [:], gauges = object["gauges"] as? [String: Any] ?? [:]
    return counters.merging(gauges) { a, _ in a }.compactMapValues { ($0 as? NSNumber)?.intValue }
}

/// GETs `/` from 127.0.0.1:port with `Connection: close` and returns the body.
func fetch(port: Int) async throws -> String {
    let group = MultiThreadedEventLoopGroup.singleton
    let collector = BodyCollector()
    let channel = try await ClientBootstrap(group: group)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
        }
        .connect(host: "127.0.0.1", port: port).get()
    try await channel.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n")).get()
    try await channel.closeFuture.get()
    let text = collector.text.withLockedValue { $0 }
    guard let split = text.range(of: "\r\n\r\n") else { return "" }
    return String(text[split.upperBound...])
}

import NIOConcurrencyHelpers

final class BodyCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let text = NIOLockedValueBox("")
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let s = String(buffer: unwrapInboundIn(data))
        text.withLockedValue { $0 += s }
    }
}

/// Current resident set size of this process in bytes, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A free TCP port on 127.0.0.1 (bound and released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: addr.sin_port))
}
