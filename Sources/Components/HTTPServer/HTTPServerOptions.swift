import NIOCore
import HTTPWire

/// A `key=value` switch the HTTP server does not accept, or a value it cannot use.
public struct HTTPServerOptionError: Error, CustomStringConvertible, Sendable, Equatable {
    public var key: String
    public var value: String
    public var accepted: String

    public var description: String {
        "http server option '\(key)': '\(value)' is not valid; accepted: \(accepted)"
    }
}

/// Configuration of the built-in HTTP/1.1 server. Every optimisation is a switch a matrix can flip.
public struct HTTPServerOptions: Sendable {
    /// Keep connections open between requests (`keepalive=on`) or close after every response.
    public var keepAlive = true
    /// Close a connection after this many responses (0: no limit).
    public var maxRequestsPerConnection = 0
    /// Reuse per-connection output buffers and pre-encoded static responses (`buffer-pool=on`), or
    /// encode every response into a freshly allocated buffer (`off`) for before/after comparisons.
    public var bufferPool = true
    public var limits = HTTPRequestLimits()
    /// Close a connection that starts no request for this long.
    public var idleTimeoutSeconds = 60.0
    /// Answer 408 and close when a request head takes longer than this to arrive (slowloris).
    public var headerTimeoutSeconds = 10.0
    /// Answer 408 and close when a request body receives no bytes for this long.
    public var bodyTimeoutSeconds = 10.0
    /// Close a connection whose queued output makes no progress for this long (a client that never reads).
    public var sendTimeoutSeconds = 30.0
    /// Event loop threads.
    public var threads = System.coreCount
    /// Largest N served by `/bytes/N`.
    public var maxBytesRoute = 1 << 30
    /// Longest MS accepted by `/delay/MS`.
    public var maxDelayMilliseconds = 60_000
    public var host: String
    public var port: Int
    public var statsPort: Int

    public static let optionHelp: [(name: String, help: String, defaultValue: String)] = [
        ("keepalive", "keep connections open between requests (on|off)", "on"),
        ("max-requests", "close a connection after this many responses; 0 means no limit", "0"),
        ("buffer-pool", "reuse output buffers and pre-encoded responses (on|off)", "on"),
        ("max-request-line", "longest request line in bytes; longer gets 414", "8192"),
        ("max-header-bytes", "largest header section in bytes; larger gets 431", "16384"),
        ("max-headers", "most header lines; more gets 431", "100"),
        ("max-body", "largest request body in bytes (suffixes KiB, MiB); larger gets 413", "8MiB"),
        ("idle-timeout", "close a connection idle this long between requests (e.g. 60s, 500ms)", "60s"),
        ("header-timeout", "answer 408 and close when a request head takes longer (slowloris)", "10s"),
        ("body-timeout", "answer 408 and close when a request body receives no bytes this long", "10s"),
        ("send-timeout", "close a connection whose response makes no progress this long", "30s"),
        ("threads", "event loop threads", "number of cores"),
        ("max-bytes", "largest N for /bytes/N", "1GiB"),
    ]

    /// `options` are key=value switches (`keepalive`, `max-requests`, `buffer-pool`, limits, timeouts, `threads`);
    /// throws `HTTPServerOptionError` naming the key and accepted values.
    public init(options: [String: String], host: String = "127.0.0.1", port: Int = 0, statsPort: Int = 0) throws {
        self.host = host
        self.port = port
        self.statsPort = statsPort
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "keepalive": keepAlive = try Self.flag(key, value)
            case "max-requests": maxRequestsPerConnection = try Self.integer(key, value, 0...Int(Int32.max))
            case "buffer-pool": bufferPool = try Self.flag(key, value)
            case "max-request-line": limits.maxRequestLineBytes = try Self.size(key, value, 16...(1 << 20))
            case "max-header-bytes": limits.maxHeaderBytes = try Self.size(key, value, 16...(16 << 20))
            case "max-headers": limits.maxHeaderCount = try Self.integer(key, value, 1...10_000)
            case "max-body": limits.maxBodyBytes = try Self.size(key, value, 0...(1 << 40))
            case "idle-timeout": idleTimeoutSeconds = try Self.duration(key, value)
            case "header-timeout": headerTimeoutSeconds = try Self.duration(key, value)
            case "body-timeout": bodyTimeoutSeconds = try Self.duration(key, value)
            case "send-timeout": sendTimeoutSeconds = try Self.duration(key, value)
            case "threads": threads = try Self.integer(key, value, 1...256)
            case "max-bytes": maxBytesRoute = try Self.size(key, value, 0...(1 << 40))
            default:
                throw HTTPServerOptionError(key: key, value: value, accepted: "one of the keys " + Self.optionHelp.map(\.name).joined(separator: ", "))
            }
        }
    }

    static func flag(_ key: String, _ value: String) throws(HTTPServerOptionError) -> Bool {
        switch value.lowercased() {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: throw HTTPServerOptionError(key: key, value: value, accepted: "on or off")
        }
    }

    static func integer(_ key: String, _ value: String, _ range: ClosedRange<Int>) throws(HTTPServerOptionError) -> Int {
        guard let v = Int(value), range.contains(v) else {
            throw HTTPServerOptionError(key: key, value: value, accepted: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    static func size(_ key: String, _ value: String, _ range: ClosedRange<Int>) throws(HTTPServerOptionError) -> Int {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        var number = Substring(value)
        var scale = 1
        for (suffix, s) in units where value.hasSuffix(suffix) {
            number = value.dropLast(suffix.count)
            scale = s
            break
        }
        guard let v = Int(number), v >= 0, case let bytes = v.multipliedReportingOverflow(by: scale), !bytes.overflow, range.contains(bytes.partialValue) else {
            throw HTTPServerOptionError(key: key, value: value, accepted: "a size in bytes in \(range.lowerBound)...\(range.upperBound), like 8192, 16KiB or 8MiB")
        }
        return bytes.partialValue
    }

    static func duration(_ key: String, _ value: String) throws(HTTPServerOptionError) -> Double {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1), ("m", 60)]
        var number = Substring(value)
        var scale = 1.0
        for (suffix, s) in units where value.hasSuffix(suffix) {
            number = value.dropLast(suffix.count)
            scale = s
            break
        }
        guard let v = Double(number), v > 0, v * scale <= 86_400 else {
            throw HTTPServerOptionError(key: key, value: value, accepted: "a positive duration up to a day, like 10s, 500ms or 2m")
        }
        return v * scale
    }
}
