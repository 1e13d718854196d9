import Foundation

/// How a node reaches the nodes it forwards to and queries.
public enum MeshPeerConnectionMode: String, Sendable, CaseIterable {
    /// A fresh TCP connection for every query and every forwarded frame, closed after its answer.
    case perPublish = "per-publish"
    /// One persistent connection per peer, reused by every query and forward.
    case pooled
}

/// Settings of a `MeshNode`, built from the `key=value` switches a scenario or the command line gives.
public struct MeshNodeOptions: Sendable {
    public var host: String
    public var port: Int
    public var statsPort: Int
    public var peerPort: Int
    /// Seed nodes' peer addresses.
    public var bootstrap: [(host: String, port: Int)]
    /// Seconds a discovered subscriber set is reused (0 = ask the DHT on every publish).
    public var discoveryCacheTTL: Double
    public var routingTable: Bool
    /// An expired cache entry keeps serving publishes while its refresh lookup runs.
    public var serveStale: Bool
    /// Seconds between two DHT lookups of one topic; in between the last answer is reused.
    public var minDiscoveryInterval: Double
    public var peerConnections: MeshPeerConnectionMode
    /// Seconds forwards to one peer are held to coalesce them into one frame (0 = one frame per message).
    public var batchWindow: Double
    public var batchMax: Int
    /// Seconds a STORE lives unless refreshed (refreshed at half this).
    public var recordTTL: Double
    /// Seconds between routing-table refreshes (a FIND_NODE lookup of the node's own id).
    public var refreshInterval: Double
    public var bucketSize: Int
    public var alpha: Int
    public var nodeID: UInt64?
    /// Nanoseconds busy-waited per message forwarded to a peer (`handicap-ns`; 0 = off): the regression-gate canary.
    public var handicapNanoseconds: Int

    public static let optionHelp: [(name: String, help: String, defaultValue: String)] = [
        ("bootstrap", "comma-separated host:peerPort list of nodes to join through (empty = first node)", ""),
        ("peer-port", "port of the binary peer protocol (0 = any free port)", "0"),
        ("discovery-cache-ttl", "how long a publish reuses a topic's discovered subscriber nodes (0 = query the DHT on every publish)", "1s"),
        ("serve-stale", "on: an expired cache entry keeps serving publishes (counted in cache_hits and cache_stale_hits) while one lookup refreshes it; off: publishes wait for the refresh (cache_misses)", "on"),
        ("routing-table", "on: lookups start at the k-bucket contacts closest to the topic, alpha in parallel; off: lookups crawl from one entry node, one query at a time, asking every node they hear of", "on"),
        ("min-discovery-interval", "least time between two DHT lookups of one topic; in between the last answer is reused", "0"),
        ("peer-connections", "pooled: one persistent connection per peer; per-publish: a new connection for every query and forwarded frame", "pooled"),
        ("batch-window", "how long forwards to one peer are held to coalesce them into one frame (0 = one frame and write per message)", "0"),
        ("batch-max", "most messages in one forwarded frame (a full batch goes out before the window ends)", "256"),
        ("record-ttl", "lifetime of a DHT STORE (topic -> node) unless refreshed; refreshed at half of it", "30s"),
        ("refresh-interval", "period of the routing-table refresh (FIND_NODE of the node's own id)", "2s"),
        ("k", "contacts per k-bucket, and how many nodes a STORE goes to", "8"),
        ("alpha", "parallel queries of a lookup (routing-table=on)", "3"),
        ("node-id", "the node's 64-bit id in hex (default random)", "random"),
        ("handicap-ns", "busy-wait this many ns per message forwarded to a peer (a canary for the regression gate; 0 = off)", "0"),
    ]

    /// - Parameter options: `key=value` switches from `optionHelp`; throws `MeshOptionError` naming the
    ///   key and the accepted values.
    public init(options: [String: String], host: String = "127.0.0.1", port: Int = 0, statsPort: Int = 0) throws {
        self.host = host
        self.port = port
        self.statsPort = statsPort
        let known = Set(Self.optionHelp.map(\.name))
        for key in options.keys.sorted() where !known.contains(key) {
            throw MeshOptionError(key: key, value: options[key] ?? "",
                                  accepted: "one of the options " + Self.optionHelp.map(\.name).joined(separator: ", "))
        }
        peerPort = try Self.integer(options, "peer-port", default: 0, range: 0...65535)
        bootstrap = []
        for item in (options["bootstrap"] ?? "").split(separator: ",") {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let colon = text.lastIndex(of: ":"), let p = Int(text[text.index(after: colon)...]), (1...65535).contains(p),
                  colon > text.startIndex else {
                throw MeshOptionError(key: "bootstrap", value: text, accepted: "host:port entries separated by commas")
            }
            var h = String(text[..<colon])
            if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
            bootstrap.append((h, p))
        }
        discoveryCacheTTL = try Self.duration(options, "discovery-cache-ttl", default: 1)
        routingTable = try Self.onOff(options, "routing-table", default: true)
        serveStale = try Self.onOff(options, "serve-stale", default: true)
        minDiscoveryInterval = try Self.duration(options, "min-discovery-interval", default: 0)
        let modeText = options["peer-connections"] ?? "pooled"
        guard let mode = MeshPeerConnectionMode(rawValue: modeText.lowercased()) else {
            throw MeshOptionError(key: "peer-connections", value: modeText, accepted: "pooled or per-publish")
        }
        peerConnections = mode
        batchWindow = try Self.duration(options, "batch-window", default: 0)
        batchMax = try Self.integer(options, "batch-max", default: 256, range: 1...1_000_000)
        recordTTL = try Self.duration(options, "record-ttl", default: 30)
        guard recordTTL >= 0.01 else { throw MeshOptionError(key: "record-ttl", value: options["record-ttl"] ?? "", accepted: "a duration of at least 10ms") }
        refreshInterval = try Self.duration(options, "refresh-interval", default: 2)
        guard refreshInterval >= 0.01 else { throw MeshOptionError(key: "refresh-interval", value: options["refresh-interval"] ?? "", accepted: "a duration of at least 10ms") }
        bucketSize = try Self.integer(options, "k", default: 8, range: 1...64)
        alpha = try Self.integer(options, "alpha", default: 3, range: 1...64)
        handicapNanoseconds = try Self.integer(options, "handicap-ns", default: 0, range: 0...1_000_000_000)
        if let text = options["node-id"], text != "random" {
            guard let v = UInt64(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16) else {
                throw MeshOptionError(key: "node-id", value: text, accepted: "a 64-bit hexadecimal number")
            }
            nodeID = v
        }
    }

    /// Seconds from `1s`, `250ms`, `100us`, `2m` or a bare number of seconds.
    static func parseDuration(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1.0), ("m", 60.0)] where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v >= 0 else { return nil }
            return v * scale
        }
        guard let v = Double(s), v >= 0 else { return nil }
        return v
    }

    private static func duration(_ options: [String: String], _ key: String, default value: Double) throws -> Double {
        guard let text = options[key] else { return value }
        guard let v = parseDuration(text) else {
            throw MeshOptionError(key: key, value: text, accepted: "a duration like 0, 500ms, 1s or 2m")
        }
        return v
    }

    private static func onOff(_ options: [String: String], _ key: String, default value: Bool) throws -> Bool {
        guard let text = options[key] else { return value }
        switch text.lowercased() {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: throw MeshOptionError(key: key, value: text, accepted: "on or off")
        }
    }

    private static func integer(_ options: [String: String], _ key: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = options[key] else { return value }
        guard let v = Int(text.replacingOccurrences(of: "_", with: "")), range.contains(v) else {
            throw MeshOptionError(key: key, value: text, accepted: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }
}

/// A mesh-node option with an unknown key or a value outside what the key accepts.
public struct MeshOptionError: Error, CustomStringConvertible, Sendable {
    public var key: String
    public var value: String
    public var accepted: String

    public var description: String { "mesh-node option \(key)=\(value): expected \(accepted)" }
}
