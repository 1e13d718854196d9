import ComponentKit
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The monitoring paths nats-server serves on its monitoring port, in its JSON shape, for the
/// broker's stats port: `/varz`, `/connz`, `/subsz`, `/healthz`. Surge's own flat counters stay on
/// `/stats` (and `/`), which the runner reads.
enum BrokerMonitoring {
    static func routes(_ core: BrokerCore) -> [String: ComponentStatsServer.Route] {
        func route(_ make: @escaping @Sendable (BrokerCore) -> [String: Any]) -> ComponentStatsServer.Route {
            { loop in loop.makeSucceededFuture(json(make(core))) }
        }
        return [
            "/varz": route(varz), "/connz": route(connz), "/subsz": route(subsz),
            "/healthz": route { _ in ["status": "ok"] },
        ]
    }

    static func varz(_ core: BrokerCore) -> [String: Any] {
        let o = core.options
        let c = core.counters
        let now = Date()
        return [
            "server_id": core.serverID, "server_name": "surge-broker", "version": "2.9.0", "proto": 1, "go": "swift",
            "host": o.host, "port": core.boundPort.load(ordering: .relaxed), "max_connections": 65536,
            "ping_interval": Int64(o.pingInterval * 1e9), "ping_max": o.maxPings,
            "http_host": o.host, "http_port": core.statsPort.load(ordering: .relaxed), "auth_required": o.authRequired,
            "auth_timeout": o.authTimeout, "max_control_line": 4096, "max_payload": o.maxPayload,
            "max_pending": o.maxPending, "write_deadline": Int64(o.writeDeadline * 1e9),
            "start": timestamp(core.started), "now": timestamp(now),
            "uptime": uptime(now.timeIntervalSince(core.started)),
            "mem": residentBytes(), "cores": System.coreCount, "cpu": 0,
            "connections": c.connections.load(ordering: .relaxed),
            "total_connections": c.totalConnections.load(ordering: .relaxed),
            "routes": 0, "remotes": 0, "leafnodes": 0,
            "in_msgs": c.msgsIn.load(ordering: .relaxed), "out_msgs": c.msgsOut.load(ordering: .relaxed),
            "in_bytes": c.bytesIn.load(ordering: .relaxed), "out_bytes": c.bytesOut.load(ordering: .relaxed),
            "slow_consumers": c.slowConsumers.load(ordering: .relaxed), "subscriptions": core.trie.count,
        ]
    }

    static func connz(_ core: BrokerCore) -> [String: Any] {
        let now = Date()
        let list: [[String: Any]] = core.connections.map { conn in
            conn.state.withLock { s in
                let idle = NIODeadline.now() - s.lastActivity
                let last = now.addingTimeInterval(-Double(idle.nanoseconds) / 1e9)
                return [
                    "cid": conn.id, "kind": "Client", "type": "nats", "ip": conn.remote.ip, "port": conn.remote.port,
                    "start": timestamp(conn.started), "last_activity": timestamp(last), "rtt": "0s",
                    "uptime": uptime(now.timeIntervalSince(conn.started)),
                    "idle": uptime(Double(idle.nanoseconds) / 1e9),
                    "pending_bytes": s.outbound.readableBytes + s.inFlight,
                    "in_msgs": s.inMsgs, "out_msgs": s.outMsgs, "in_bytes": s.inBytes, "out_bytes": s.outBytes,
                    "subscriptions": s.subscriptions.count, "name": s.name, "lang": s.lang, "version": s.version,
                ]
            }
        }
        return [
            "server_id": core.serverID, "now": timestamp(now), "num_connections": list.count, "total": list.count,
            "offset": 0, "limit": 1024, "connections": list,
        ]
    }

    static func subsz(_ core: BrokerCore) -> [String: Any] {
        let c = core.counters
        let hits = c.cacheHits.load(ordering: .relaxed)
        let lookups = hits + c.cacheMisses.load(ordering: .relaxed)
        return [
            "num_subscriptions": core.trie.count, "num_cache": 0,
            "num_inserts": core.trie.inserts.load(ordering: .relaxed),
            "num_removes": core.trie.removes.load(ordering: .relaxed), "num_matches": lookups,
            "cache_hit_rate": lookups == 0 ? 0.0 : Double(hits) / Double(lookups), "max_fanout": 0, "avg_fanout": 0.0,
        ]
    }

    private static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func timestamp(_ date: Date) -> String {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return format.string(from: date)
    }

    /// nats-server's uptime text: `1d2h3m4s`, `5s`.
    private static func uptime(_ seconds: Double) -> String {
        var s = Int(seconds)
        var out = ""
        for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60)] where s >= size || !out.isEmpty {
            out += "\(s / size)\(unit)"
            s %= size
        }
        return out + "\(s)s"
    }

    private static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
