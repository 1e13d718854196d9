import ComponentKit
import NIOCore

/// When a connection's queued deliveries are handed to the socket.
public enum BrokerFlushMode: String, Sendable, CaseIterable {
    /// Write and flush after every delivered message (one syscall per message).
    case immediate
    /// Accumulate deliveries per connection and flush once per read batch: one write of many messages.
    case batched
    /// Accumulate deliveries per connection and flush after each socket read (at most one read
    /// buffer's worth of messages), so subscribers on other event loops write while the publisher's
    /// loop parses the next read.
    case read
}

/// Settings of a `BrokerServer`, built from the `key=value` switches a scenario or the command line gives.
public struct BrokerOptions: Sendable {
    public var host: String
    public var port: Int
    public var statsPort: Int
    public var flush: BrokerFlushMode
    public var dispatchCache: Bool
    public var dispatchCacheSize: Int
    public var maxPayload: Int
    public var maxPending: Int
    public var threads: Int
    /// Nanoseconds busy-waited per message delivered (`handicap-ns`; 0 = off): the regression-gate canary.
    public var handicapNanoseconds: Int

    /// Every switch the broker takes, with type, default, range and help.
    package static let declared = ComponentOptionSet(
        component: "broker",
        [
            .choice(
                "flush", default: "batched", among: BrokerFlushMode.allCases.map(\.rawValue),
                help:
                    "immediate: write+flush after every delivered message; batched: one flush (writev) per read batch; "
                    + "read: one flush per socket read"),
            .flag(
                "dispatch-cache", default: true,
                help: "on: per-connection LRU cache of subject -> matching subscriptions, invalidated by SUB/UNSUB; "
                    + "off: match the subject trie for every message"),
            .integer(
                "dispatch-cache-size", default: 1024, in: 1...10_000_000,
                help: "entries of each connection's dispatch cache before LRU eviction"),
            .integer(
                "max-payload", default: 1_048_576, in: 1...(64 << 20),
                help:
                    "largest PUB/HPUB payload in bytes; larger gets -ERR 'Maximum Payload Violation' "
                    + "and the connection closed"
            ),
            .integer(
                "max-pending", default: 67_108_864, in: 1024...(1 << 40),
                help: "bytes of undelivered output a subscriber may have queued before it is cut off as a slow consumer"
            ),
            .integer(
                "threads", default: System.coreCount, in: 1...1024, help: "event-loop threads", shown: "number of cores"
            ),
            .handicap(per: "message delivered"),
        ])

    /// - Parameter options: `key=value` switches from `declared`; throws `ComponentOptionError` naming the
    ///   key and the accepted values.
    public init(
        options: [String: String], host: String = "127.0.0.1", port: Int = 0, statsPort: Int = 0
    ) throws(ComponentOptionError) {
        let o = try Self.declared.parse(options)
        self.host = host
        self.port = port
        self.statsPort = statsPort
        flush = o.choice("flush")
        dispatchCache = o.flag("dispatch-cache")
        dispatchCacheSize = o.integer("dispatch-cache-size")
        maxPayload = o.integer("max-payload")
        maxPending = o.integer("max-pending")
        threads = o.integer("threads")
        handicapNanoseconds = o.integer("handicap-ns")
    }
}
