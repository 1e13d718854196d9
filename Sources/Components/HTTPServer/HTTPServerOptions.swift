import ComponentKit
import HTTPWire
import NIOCore

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
    /// Event loop threads: one fewer than the cores (at least one) unless set.
    public var threads = Self.defaultThreads
    /// The default thread count, `cores - 1` and at least 1. Benchmarks run the load generator on
    /// the same machine; a server with a thread per core then competes with it for every core (on 2
    /// cores against `wrk -t1`, measured once at 140k req/s with one thread and 98k with two).
    public static let defaultThreads = max(1, System.coreCount - 1)
    /// Largest N served by `/bytes/N`.
    public var maxBytesRoute = 1 << 30
    /// Longest MS accepted by `/delay/MS`.
    public var maxDelayMilliseconds = 60_000
    /// Nanoseconds busy-waited per request answered (`handicap-ns`; 0 = off): the regression-gate canary.
    public var handicapNanoseconds = 0
    public var host: String
    public var port: Int
    public var statsPort: Int

    /// Every switch the server takes, with type, default, range and help.
    package static let declared = ComponentOptionSet(
        component: "http",
        [
            .flag("keepalive", default: true, help: "keep connections open between requests"),
            .integer(
                "max-requests", default: 0, in: 0...Int(Int32.max),
                help: "close a connection after this many responses; 0 means no limit"),
            .flag("buffer-pool", default: true, help: "reuse output buffers and pre-encoded responses"),
            .size(
                "max-request-line", default: 8192, in: 16...(1 << 20),
                help: "longest request line in bytes; longer gets 414", shown: "8192"),
            .size(
                "max-header-bytes", default: 16384, in: 16...(16 << 20),
                help: "largest header section in bytes; larger gets 431", shown: "16384"),
            .integer("max-headers", default: 100, in: 1...10_000, help: "most header lines; more gets 431"),
            .size(
                "max-body", default: 8 << 20, in: 0...(1 << 40),
                help: "largest request body in bytes (suffixes KiB, MiB); larger gets 413", shown: "8MiB"),
            .duration(
                "idle-timeout", default: 60, in: 0.000_001...86_400,
                help: "close a connection idle this long between requests (e.g. 60s, 500ms)"),
            .duration(
                "header-timeout", default: 10, in: 0.000_001...86_400,
                help: "answer 408 and close when a request head takes longer (slowloris)"),
            .duration(
                "body-timeout", default: 10, in: 0.000_001...86_400,
                help: "answer 408 and close when a request body receives no bytes this long"),
            .duration(
                "send-timeout", default: 30, in: 0.000_001...86_400,
                help: "close a connection whose response makes no progress this long"),
            .integer(
                "threads", default: defaultThreads, in: 1...256,
                help: "event loop threads; the default leaves a core to a load generator on the same machine",
                shown: "cores - 1, at least 1"),
            .size("max-bytes", default: 1 << 30, in: 0...(1 << 40), help: "largest N for /bytes/N", shown: "1GiB"),
            .handicap(per: "request answered"),
        ])

    /// `options` are key=value switches from `declared`; throws `ComponentOptionError` naming the key
    /// and the accepted values.
    public init(
        options: [String: String], host: String = "127.0.0.1", port: Int = 0,
        statsPort: Int = 0
    ) throws(ComponentOptionError) {
        let o = try Self.declared.parse(options)
        self.host = host
        self.port = port
        self.statsPort = statsPort
        keepAlive = o.flag("keepalive")
        maxRequestsPerConnection = o.integer("max-requests")
        bufferPool = o.flag("buffer-pool")
        limits.maxRequestLineBytes = o.integer("max-request-line")
        limits.maxHeaderBytes = o.integer("max-header-bytes")
        limits.maxHeaderCount = o.integer("max-headers")
        limits.maxBodyBytes = o.integer("max-body")
        idleTimeoutSeconds = o.seconds("idle-timeout")
        headerTimeoutSeconds = o.seconds("header-timeout")
        bodyTimeoutSeconds = o.seconds("body-timeout")
        sendTimeoutSeconds = o.seconds("send-timeout")
        threads = o.integer("threads")
        maxBytesRoute = o.integer("max-bytes")
        handicapNanoseconds = o.integer("handicap-ns")
    }
}
