import ComponentKit
import Synchronization

/// The broker's own counters, served on the stats port. Connections add their
/// per-read-batch tallies here, so the hot path touches these atomics once per batch, not per message.
final class BrokerCounters: Sendable {
    let msgsIn = Atomic<Int>(0)
    let msgsOut = Atomic<Int>(0)
    let bytesIn = Atomic<Int>(0)
    let bytesOut = Atomic<Int>(0)
    let cacheHits = Atomic<Int>(0)
    let cacheMisses = Atomic<Int>(0)
    let cacheEvictions = Atomic<Int>(0)
    let slowConsumers = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let totalConnections = Atomic<Int>(0)

    /// The counters, and the gauges `connections` and `subscriptions` (the subject trie's size now).
    func stats(subscriptions: Int) -> ComponentStats {
        ComponentStats(
            counters: [
                "msgs_in": msgsIn.load(ordering: .relaxed),
                "msgs_out": msgsOut.load(ordering: .relaxed),
                "bytes_in": bytesIn.load(ordering: .relaxed),
                "bytes_out": bytesOut.load(ordering: .relaxed),
                "cache_hits": cacheHits.load(ordering: .relaxed),
                "cache_misses": cacheMisses.load(ordering: .relaxed),
                "cache_evictions": cacheEvictions.load(ordering: .relaxed),
                "slow_consumers": slowConsumers.load(ordering: .relaxed),
                "total_connections": totalConnections.load(ordering: .relaxed),
            ],
            gauges: ["connections": connections.load(ordering: .relaxed), "subscriptions": subscriptions])
    }
}
