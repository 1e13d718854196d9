import ComponentKit

/// A node's own counters, served on its stats port. Confined to
/// the node's event loop, like all node state.
struct MeshCounters {
    var dhtQueriesSent = 0
    var dhtQueriesAnswered = 0
    var dhtQueriesFailed = 0
    var dhtRequestsServed = 0
    var dhtRPCsSent = 0
    var storesSent = 0
    var cacheHits = 0
    var cacheMisses = 0
    var cacheStaleHits = 0
    var rateLimitedReuses = 0
    var discoveryLookups = 0
    /// Publishes (cache off) that joined the next lookup of their subject instead of starting their own.
    var lookupsCoalesced = 0
    var msgsIn = 0
    var forwards = 0
    var batches = 0
    var forwardsReceived = 0
    var forwardsUnrouted = 0
    var peerConnectionsOpened = 0
    var peerConnectionsFailed = 0
    var msgsDelivered = 0
    var interestAnnounced = 0
    var wildcardsAnnounced = 0
    var interestReceived = 0
    var withdrawalsSent = 0
    var invalidationsSent = 0
    var invalidationsReceived = 0
    var duplicatesSuppressed = 0
    var peerBackoffs = 0
    var requestsHeldOff = 0
    var forwardsHeldOff = 0
    var noRespondersSent = 0
    var discoveryLatency = LogLinearHistogram()

    /// The counters, with the node's current sizes and the discovery latency percentiles as gauges.
    func stats(knownPeers: Int, storedRecords: Int, localSubscriptions: Int, remoteInterest: Int, clients: Int,
               activePeerConnections: Int, pendingMessages: Int) -> ComponentStats {
        var counters: [String: Int] = [
            "dht_queries_sent": dhtQueriesSent, "dht_queries_answered": dhtQueriesAnswered,
            "dht_queries_failed": dhtQueriesFailed, "dht_requests_served": dhtRequestsServed,
            "dht_rpcs_sent": dhtRPCsSent, "stores_sent": storesSent,
            "cache_hits": cacheHits, "cache_misses": cacheMisses, "cache_stale_hits": cacheStaleHits,
            "rate_limited_reuses": rateLimitedReuses, "discovery_lookups": discoveryLookups,
            "lookups_coalesced": lookupsCoalesced, "msgs_in": msgsIn,
            "forwards": forwards, "batches": batches, "forwards_received": forwardsReceived,
            "forwards_unrouted": forwardsUnrouted, "peer_connections_opened": peerConnectionsOpened,
            "peer_connections_failed": peerConnectionsFailed, "msgs_delivered": msgsDelivered,
            "interest_announced": interestAnnounced, "wildcards_announced": wildcardsAnnounced,
            "interest_received": interestReceived, "withdrawals_sent": withdrawalsSent,
            "invalidations_sent": invalidationsSent, "invalidations_received": invalidationsReceived,
            "duplicates_suppressed": duplicatesSuppressed, "peer_backoffs": peerBackoffs,
            "requests_held_off": requestsHeldOff, "forwards_held_off": forwardsHeldOff,
            "no_responders_sent": noRespondersSent,
        ]
        counters["discovery_latency_count"] = Int(clamping: discoveryLatency.count)
        var gauges: [String: Int] = [
            "peer_connections_active": activePeerConnections, "known_peers": knownPeers, "stored_records": storedRecords,
            "local_subscriptions": localSubscriptions, "remote_interest": remoteInterest, "clients": clients, "pending_messages": pendingMessages,
        ]
        for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0)] {
            gauges["discovery_latency_\(name)_ns"] = Int(clamping: discoveryLatency.value(atPercentile: p))
        }
        gauges["discovery_latency_max_ns"] = Int(clamping: discoveryLatency.max)
        return ComponentStats(counters: counters, gauges: gauges)
    }
}

/// A small latency histogram with 16 linear sub-buckets per power of two (about 6% resolution), for
/// the node's discovery latency percentiles without a dependency on the harness.
struct LogLinearHistogram {
    private var counts = [UInt64](repeating: 0, count: 64 * 16)
    private(set) var count: UInt64 = 0
    private(set) var max: UInt64 = 0

    private static func index(_ v: UInt64) -> Int {
        if v < 16 { return Int(v) }
        let e = 63 - v.leadingZeroBitCount
        let sub = Int((v >> UInt64(e - 4)) & 15)
        return (e - 3) * 16 + sub
    }

    private static func upperBound(_ i: Int) -> UInt64 {
        if i < 16 { return UInt64(i) }
        let e = i / 16 + 3
        let sub = UInt64(i % 16)
        return ((16 + sub + 1) << UInt64(e - 4)) - 1
    }

    mutating func record(_ v: UInt64) {
        counts[Self.index(v)] += 1
        count += 1
        if v > max { max = v }
    }

    /// The smallest bucket bound at or below which `p` percent of the values lie (0 when empty).
    func value(atPercentile p: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = Swift.max(1, UInt64((p / 100 * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= rank { return Swift.min(Self.upperBound(i), max) }
        }
        return max
    }
}
