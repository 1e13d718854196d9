import Foundation
import HTTPWire
import NIOCore

/// The server's counters for the connections of one event loop. Only that loop touches them
/// (no atomics on the hot path); the stats endpoint reads each loop's copy on its own loop and sums.
final class HTTPServerCounters: @unchecked Sendable {
    var requests = 0
    var connections = 0
    var totalConnections = 0
    var keepAliveReuses = 0
    var responses2xx = 0
    var errorsByStatus: [Int: Int] = [400: 0, 404: 0, 405: 0, 408: 0, 413: 0, 414: 0, 431: 0, 501: 0, 505: 0]
    var idleTimeouts = 0
    /// Connections closed because their queued output made no progress for `send-timeout`.
    var sendTimeouts = 0
    /// Times parsing stopped because a connection's output was over the channel's high watermark.
    var backpressurePauses = 0
    var bodyBytesReceived = 0

    /// The keys of `snapshot()` that are a state (open connections now), not a running total.
    static let gauges: Set<String> = ["connections"]

    func snapshot() -> [String: Int] {
        var s: [String: Int] = [
            "requests": requests,
            "connections": connections,
            "total_connections": totalConnections,
            "keepalive_reuses": keepAliveReuses,
            "responses_2xx": responses2xx,
            "idle_timeouts": idleTimeouts,
            "send_timeouts": sendTimeouts,
            "backpressure_pauses": backpressurePauses,
            "body_bytes_received": bodyBytesReceived,
        ]
        for (status, count) in errorsByStatus { s["errors_\(status)"] = count }
        return s
    }

    func countError(_ status: Int) {
        errorsByStatus[status, default: 0] += 1
    }
}

/// Per-event-loop state shared by that loop's connections: counters, the cached `Date` line and the
/// whole responses of the fixed routes for the current second.
final class HTTPLoopShard: @unchecked Sendable {
    let counters = HTTPServerCounters()
    private var dateSecond = -1
    private var dateLine = ByteBuffer()
    /// Per route slot, connection variant (close, keep-alive, HTTP/1.0 keep-alive) and HEAD or not.
    private var wholeResponses = [ByteBuffer?](
        repeating: nil, count: HTTPStaticResponses.slots * HTTPLoopShard.variantsPerSlot)
    private static let variantsPerSlot = 6

    /// `Date: <IMF-fixdate>\r\n`, re-rendered at most once a second.
    func currentDateLine() -> ByteBuffer {
        let now = time(nil)
        if now != dateSecond {
            dateSecond = now
            dateLine = ByteBuffer(string: "Date: \(Self.imfFixdate(now))\r\n")
            for i in wholeResponses.indices { wholeResponses[i] = nil }
        }
        return dateLine
    }

    /// A fixed route's whole response (head, `Date`, blank line, body unless `bodiless`), built once a
    /// second, so a request costs one copy into the output buffer instead of four.
    func wholeResponse(_ response: HTTPStaticResponses.Variants, keepAlive: Bool, http10: Bool,
                       bodiless: Bool) -> ByteBuffer {
        let date = currentDateLine()
        let key = response.slot * Self.variantsPerSlot + (keepAlive ? (http10 ? 4 : 2) : 0) + (bodiless ? 1 : 0)
        if let cached = wholeResponses[key] { return cached }
        let head = response.head(keepAlive: keepAlive, http10: http10)
        let size = head.readableBytes + date.readableBytes + 2 + response.body.readableBytes
        var whole = ByteBufferAllocator().buffer(capacity: size)
        whole.writeImmutableBuffer(head)
        whole.writeImmutableBuffer(date)
        HTTPResponseEncoder.writeEndOfHead(into: &whole)
        if !bodiless { whole.writeImmutableBuffer(response.body) }
        wholeResponses[key] = whole
        return whole
    }

    static func imfFixdate(_ t: time_t) -> String {
        var t = t
        var tm = tm()
        gmtime_r(&t, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
