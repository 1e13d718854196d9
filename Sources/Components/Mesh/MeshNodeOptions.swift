import ComponentKit
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

    /// Every switch a node takes, with type, default, range and help.
    package static let declared = ComponentOptionSet(
        component: "mesh-node",
        [
            .text(
                "bootstrap", default: "", accepted: "host:port entries separated by commas",
                help: "comma-separated host:peerPort list of nodes to join through (empty = first node)", shown: "none",
                isValid: { parseBootstrap($0) != nil }),
            .integer(
                "peer-port", default: 0, in: 0...65535, help: "port of the binary peer protocol (0 = any free port)"),
            .duration(
                "discovery-cache-ttl", default: 1, in: 0...86_400,
                help:
                    "how long a publish reuses a topic's discovered subscriber nodes "
                    + "(0 = no cache: every publish waits for a DHT lookup begun after it; "
                    + "those published while a topic's lookup runs share its next one)"
            ),
            .flag(
                "serve-stale", default: true,
                help: "on: an expired cache entry keeps serving publishes (counted in cache_hits and cache_stale_hits) "
                    + "while one lookup refreshes it; off: publishes wait for the refresh (cache_misses)"),
            .flag(
                "routing-table", default: true,
                help: "on: lookups start at the k-bucket contacts closest to the topic, alpha in parallel; "
                    + "off: lookups crawl from one entry node, one query at a time, asking every node they hear of"),
            .duration(
                "min-discovery-interval", default: 0, in: 0...86_400,
                help: "least time between two DHT lookups of one topic; in between the last answer is reused"),
            .choice(
                "peer-connections", default: "pooled", among: MeshPeerConnectionMode.allCases.map(\.rawValue),
                help:
                    "pooled: one persistent connection per peer; "
                    + "per-publish: a new connection for every query and forwarded frame, one frame in flight "
                    + "per peer (messages forwarded meanwhile share the next frame)"
            ),
            .duration(
                "batch-window", default: 0, in: 0...86_400,
                help:
                    "how long forwards to one peer are held to coalesce them into one frame "
                    + "(0 = one frame and write per message, unless a per-publish frame is in flight)"
            ),
            .integer(
                "batch-max", default: 256, in: 1...1_000_000,
                help: "most messages in one forwarded frame (a full batch goes out before the window ends)"),
            .duration(
                "record-ttl", default: 30, in: 0.01...86_400,
                help: "lifetime of a DHT STORE (topic -> node) unless refreshed; refreshed at half of it"),
            .duration(
                "refresh-interval", default: 2, in: 0.01...86_400,
                help: "period of the routing-table refresh (FIND_NODE of the node's own id)"),
            .integer("k", default: 8, in: 1...64, help: "contacts per k-bucket, and how many nodes a STORE goes to"),
            .integer("alpha", default: 3, in: 1...64, help: "parallel queries of a lookup (routing-table=on)"),
            .text(
                "node-id", default: "random", accepted: "a 64-bit hexadecimal number",
                help: "the node's 64-bit id in hex, or random",
                isValid: { $0 == "random" || parseNodeID($0) != nil }),
            .handicap(per: "message forwarded to a peer"),
        ])

    /// - Parameter options: `key=value` switches from `declared`; throws `ComponentOptionError` naming the
    ///   key and the accepted values.
    public init(
        options: [String: String], host: String = "127.0.0.1", port: Int = 0,
        statsPort: Int = 0
    ) throws(ComponentOptionError) {
        let o = try Self.declared.parse(options)
        self.host = host
        self.port = port
        self.statsPort = statsPort
        peerPort = o.integer("peer-port")
        bootstrap = Self.parseBootstrap(o.text("bootstrap")) ?? []
        discoveryCacheTTL = o.seconds("discovery-cache-ttl")
        routingTable = o.flag("routing-table")
        serveStale = o.flag("serve-stale")
        minDiscoveryInterval = o.seconds("min-discovery-interval")
        peerConnections = o.choice("peer-connections")
        batchWindow = o.seconds("batch-window")
        batchMax = o.integer("batch-max")
        recordTTL = o.seconds("record-ttl")
        refreshInterval = o.seconds("refresh-interval")
        bucketSize = o.integer("k")
        alpha = o.integer("alpha")
        nodeID = Self.parseNodeID(o.text("node-id"))
        handicapNanoseconds = o.integer("handicap-ns")
    }

    /// `host:port,host:port` (IPv6 hosts in brackets); nil when an entry is malformed.
    static func parseBootstrap(_ text: String) -> [(host: String, port: Int)]? {
        var out: [(host: String, port: Int)] = []
        for item in text.split(separator: ",") {
            let entry = item.trimmingCharacters(in: .whitespaces)
            guard let colon = entry.lastIndex(of: ":"), colon > entry.startIndex,
                let p = Int(entry[entry.index(after: colon)...]), (1...65535).contains(p)
            else { return nil }
            var h = String(entry[..<colon])
            if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
            out.append((h, p))
        }
        return out
    }

    /// A 64-bit id in hex, `0x` optional; nil for `random` or anything else.
    static func parseNodeID(_ text: String) -> UInt64? {
        UInt64(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16)
    }
}
