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

    public static let optionHelp: [(name: String, help: String, defaultValue: String)] = [
        ("flush", "immediate: write+flush after every delivered message; batched: one flush (writev) per read batch; read: one flush per socket read", "batched"),
        ("dispatch-cache", "on: per-connection LRU cache of subject -> matching subscriptions, invalidated by SUB/UNSUB; off: match the subject trie for every message", "on"),
        ("dispatch-cache-size", "entries of each connection's dispatch cache before LRU eviction", "1024"),
        ("max-payload", "largest PUB/HPUB payload in bytes; larger gets -ERR 'Maximum Payload Violation' and the connection closed", "1048576"),
        ("max-pending", "bytes of undelivered output a subscriber may have queued before it is cut off as a slow consumer", "67108864"),
        ("threads", "event-loop threads", "number of cores"),
        ("handicap-ns", "busy-wait this many ns per message delivered (a canary for the regression gate; 0 = off)", "0"),
    ]

    /// - Parameter options: `key=value` switches from `optionHelp`; throws `BrokerOptionError` naming the
    ///   key and the accepted values.
    public init(options: [String: String], host: String = "127.0.0.1", port: Int = 0, statsPort: Int = 0) throws {
        self.host = host
        self.port = port
        self.statsPort = statsPort
        let known = Set(Self.optionHelp.map(\.name))
        for key in options.keys.sorted() where !known.contains(key) {
            throw BrokerOptionError(key: key, value: options[key] ?? "",
                                    accepted: "one of the options " + Self.optionHelp.map(\.name).joined(separator: ", "))
        }
        let flushText = options["flush"] ?? "batched"
        guard let flush = BrokerFlushMode(rawValue: flushText.lowercased()) else {
            throw BrokerOptionError(key: "flush", value: flushText, accepted: "immediate, batched or read")
        }
        self.flush = flush
        switch (options["dispatch-cache"] ?? "on").lowercased() {
        case "on", "true", "yes", "1": dispatchCache = true
        case "off", "false", "no", "0": dispatchCache = false
        default: throw BrokerOptionError(key: "dispatch-cache", value: options["dispatch-cache"] ?? "", accepted: "on or off")
        }
        dispatchCacheSize = try Self.integer(options, "dispatch-cache-size", default: 1024, range: 1...10_000_000)
        maxPayload = try Self.integer(options, "max-payload", default: 1_048_576, range: 1...(64 << 20))
        maxPending = try Self.integer(options, "max-pending", default: 67_108_864, range: 1024...(1 << 40))
        threads = try Self.integer(options, "threads", default: System.coreCount, range: 1...1024)
        handicapNanoseconds = try Self.integer(options, "handicap-ns", default: 0, range: 0...1_000_000_000)
    }

    private static func integer(_ options: [String: String], _ key: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = options[key] else { return value }
        guard let v = Int(text.replacingOccurrences(of: "_", with: "")), range.contains(v) else {
            throw BrokerOptionError(key: key, value: text, accepted: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }
}

/// A broker option with an unknown key or a value outside what the key accepts.
public struct BrokerOptionError: Error, CustomStringConvertible, Sendable {
    public var key: String
    public var value: String
    public var accepted: String

    public var description: String { "broker option \(key)=\(value): expected \(accepted)" }
}
