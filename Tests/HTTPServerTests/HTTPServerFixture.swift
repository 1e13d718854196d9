import Foundation
import HTTPServer
import HTTPWire
import XCTest

/// Starts a real server on 127.0.0.1 with the given options for one test.
final class HTTPServerFixture {
    let server: HTTPServer
    let port: Int
    let statsPort: Int

    init(_ options: [String: String] = [:]) async throws {
        server = HTTPServer(options: try HTTPServerOptions(options: ["threads": "2"].merging(options) { $1 }))
        (port, statsPort) = try await server.start()
    }

    func connect() throws -> RawHTTPConnection { try RawHTTPConnection(port: port) }

    /// The stats endpoint's counters and gauges in one dictionary.
    func stats() throws -> [String: Int] {
        let c = try RawHTTPConnection(port: statsPort)
        c.send("GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
        guard let r = c.response(), let body = r.body else { throw POSIXError(.EIO) }
        let object = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8))
        guard let sections = object as? [String: Any], let counters = sections["counters"] as? [String: Any],
              let gauges = sections["gauges"] as? [String: Any] else { throw POSIXError(.EIO) }
        var out: [String: Int] = [:]
        for (k, v) in counters.merging(gauges, uniquingKeysWith: { a, _ in a }) {
            guard let n = v as? NSNumber else { XCTFail("stats value \(k) is not a number"); continue }
            out[k] = n.intValue
        }
        return out
    }

    func stop() async { await server.stop() }
}

func get(_ target: String, _ extra: String = "") -> String {
    "GET \(target) HTTP/1.1\r\nHost: t\r\n\(extra)\r\n"
}
