import Foundation
import HTTPWire
import NIOCore

/// The parameters shared by `http.closed` and `http.open`, validated.
struct HTTPLoadSettings: Sendable {
    /// How much work one measured run does.
    enum Amount: Sendable, Equatable {
        case requests(Int)
        case seconds(Double)
    }

    var connections: Int
    var pipeline: Int
    var amount: Amount
    var method: String
    var path: String
    var headers: [(name: String, value: String)]
    var bodySize: Int
    var expectedStatus: Int
    var expectedLength: Int?
    /// Open loop only: total requests per second over all connections.
    var rate: Double?
    /// Requests waiting this long with no response at all on their connection are counted as lost.
    var responseTimeoutSeconds: Double

    static let commonParameters: [ParameterSpec] = [
        ParameterSpec("connections", .integer, "concurrent connections", default: "16"),
        ParameterSpec("pipeline", .integer, "requests in flight per connection (HTTP pipelining depth)", default: "1"),
        ParameterSpec("requests", .integer, "total requests per measured run (or use duration)"),
        ParameterSpec("duration", .duration, "length of a measured run (or use requests)", default: "10s"),
        ParameterSpec("method", .string, "request method", default: "GET"),
        ParameterSpec("path", .string, "request target", default: "/plaintext"),
        ParameterSpec("headers", .string, "extra request headers, a list of 'Name: value' strings"),
        ParameterSpec("body", .size, "request body size in bytes (sent with Content-Length)", default: "0"),
        ParameterSpec("status", .integer, "status every response must have", default: "200"),
        ParameterSpec("length", .integer, "body length every response must have (not checked if absent)"),
        ParameterSpec("timeout", .duration, "requests with no response for this long are counted as lost and end the run", default: "10s"),
    ]

    init(_ p: WorkloadParameters, openLoop: Bool) throws {
        connections = try p.int("connections", default: 16, range: 1...100_000)
        pipeline = try p.int("pipeline", default: 1, range: 1...1024)
        if p.has("requests"), p.has("duration") {
            throw WorkloadParameterError(key: "requests", "give either requests or duration, not both")
        }
        if let n = try p.int("requests") {
            guard n >= 1 else { throw WorkloadParameterError(key: "requests", "must be at least 1, found \(n)") }
            amount = .requests(n)
        } else {
            let seconds = try p.duration("duration") ?? 10
            guard seconds > 0 else { throw WorkloadParameterError(key: "duration", "must be longer than 0") }
            amount = .seconds(seconds)
        }
        method = try p.string("method", default: "GET")
        guard !method.isEmpty, method.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw WorkloadParameterError(key: "method", "'\(method)' is not an HTTP method")
        }
        path = try p.string("path", default: "/plaintext")
        guard path.hasPrefix("/") || path == "*", path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw WorkloadParameterError(key: "path", "'\(path)' is not a request target (it must start with / and contain no spaces)")
        }
        var headerLines: [String] = []
        switch p.values["headers"] {
        case .scalar(let s): headerLines = [s]
        case .list(let items): headerLines = items
        case nil: break
        }
        headers = try headerLines.enumerated().map { index, line in
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                line[..<colon].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") })
            else {
                throw WorkloadParameterError(key: "headers[\(index)]", "'\(line)' is not 'Name: value'")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return (String(line[..<colon]), value)
        }
        bodySize = try p.size("body") ?? 0
        expectedStatus = try p.int("status", default: 200, range: 100...599)
        expectedLength = try p.int("length")
        responseTimeoutSeconds = try p.duration("timeout") ?? 10
        guard responseTimeoutSeconds >= 0.01 else {
            throw WorkloadParameterError(key: "timeout", "must be at least 10ms")
        }
        if openLoop {
            guard let r = try p.double("rate") else {
                throw WorkloadParameterError(key: "rate", "http.open needs a rate (total requests per second)")
            }
            guard r > 0, r <= 10_000_000 else { throw WorkloadParameterError(key: "rate", "must be in (0, 10000000], found \(r)") }
            rate = r
        } else if p.has("rate") {
            throw WorkloadParameterError(key: "rate", "rate applies to http.open; http.closed sends as fast as responses come back")
        }
    }

    /// The bytes of one request to `endpoint`.
    func encodedRequest(for endpoint: Endpoint) -> ByteBuffer {
        let body = bodySize > 0 ? ByteBuffer(repeating: UInt8(ascii: "x"), count: bodySize) : nil
        return HTTPRequestEncoder.encode(method: method, target: path, host: endpoint.description, headers: headers, body: body)
    }
}
