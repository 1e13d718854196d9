import Broker
import Foundation
import NATSWire
import NIOCore
import XCTest

final class BrokerDeliveryTests: XCTestCase {
    /// Publishes `count` messages over five subjects in one write and returns what two subscribers got.
    private func fanOut(_ options: [String: String], count: Int) async throws -> (wild: Int, single: Int, stats: [String: Int]) {
        var result = (wild: 0, single: 0, stats: [String: Int]())
        try await withBroker(options) { port, statsPort in
            let wild = try RawNATSConnection(port: port)
            try wild.send(quiet + "SUB load.> 1\r\n")
            _ = try wild.roundTrip()
            let single = try RawNATSConnection(port: port)
            try single.send(quiet + "SUB load.* 1\r\n")
            _ = try single.roundTrip()
            let pub = try RawNATSConnection(port: port)
            var text = quiet
            for i in 0..<count { text += "PUB load.\(i % 5) 8\r\n\(String(format: "%08d", i))\r\n" }
            try pub.send(text)
            _ = try pub.roundTrip()
            let w = try wild.roundTrip(timeout: 10)
            let s = try single.roundTrip(timeout: 10)
            XCTAssertEqual(w.compactMap(\.payloadText), (0..<count).map { String(format: "%08d", $0) }, "in order, none lost")
            result = (w.count, s.count, try brokerStats(port: statsPort))
        }
        return result
    }

    func testFlushModesAndDispatchCacheDeliverEverything() async throws {
        for flush in ["immediate", "batched", "read"] {
            for cache in ["on", "off"] {
                let r = try await fanOut(["flush": flush, "dispatch-cache": cache], count: 2000)
                XCTAssertEqual(r.wild, 2000, "flush=\(flush) cache=\(cache)")
                XCTAssertEqual(r.single, 2000, "flush=\(flush) cache=\(cache)")
                XCTAssertEqual(r.stats["msgs_in"], 2000)
                XCTAssertEqual(r.stats["msgs_out"], 4000)
                XCTAssertEqual(r.stats["bytes_out"], 4000 * 8)
                if cache == "on" {
                    XCTAssertEqual(r.stats["cache_misses"], 5, "one miss per subject")
                    XCTAssertEqual(r.stats["cache_hits"], 1995)
                } else {
                    XCTAssertEqual(r.stats["cache_hits"], 0)
                    XCTAssertEqual(r.stats["cache_misses"], 0)
                }
            }
        }
    }

    func testDispatchCacheEvictsAndIsInvalidatedBySub() async throws {
        try await withBroker(["dispatch-cache-size": "2"]) { port, statsPort in
            let pub = try RawNATSConnection(port: port)
            try pub.send(quiet + String(repeating: "PUB c.1 1\r\nx\r\nPUB c.2 1\r\nx\r\nPUB c.3 1\r\nx\r\n", count: 4))
            _ = try pub.roundTrip()
            let stats = try brokerStats(port: statsPort)
            XCTAssertEqual(stats["cache_misses"], 12, "three subjects cycling through two slots always miss")
            XCTAssertEqual(stats["cache_evictions"], 10)
            // The cached "no subscribers" answer for c.1 must not survive a new SUB.
            let sub = try RawNATSConnection(port: port)
            try sub.send(quiet + "SUB c.1 1\r\n")
            _ = try sub.roundTrip()
            try pub.send("PUB c.1 3\r\nnew\r\n")
            _ = try pub.roundTrip()
            XCTAssertEqual(try sub.roundTrip().compactMap(\.payloadText), ["new"])
        }
    }

    func testSlowConsumerIsCutOffAndOthersAreServed() async throws {
        try await withBroker(["max-pending": "65536", "slow-consumer": "cut"]) { port, statsPort in
            let slow = try RawNATSConnection(port: port, receiveBuffer: 4096)
            try slow.send(quiet + "SUB flood 1\r\n")
            _ = try slow.roundTrip()
            let pub = try RawNATSConnection(port: port)
            try pub.send(quiet)
            let payload = String(repeating: "p", count: 1024)
            let batch = String(repeating: "PUB flood 1024\r\n\(payload)\r\n", count: 256)
            var sent = 0
            while try brokerStats(port: statsPort)["slow_consumers"] == 0 {
                XCTAssertLessThan(sent, 256 << 20, "no slow consumer after 256 MiB")
                if sent >= 256 << 20 { return }
                try pub.send(batch)
                _ = try pub.roundTrip()
                sent += 256 * 1024
            }
            // The broker keeps serving everybody else.
            let other = try RawNATSConnection(port: port)
            try other.send(quiet + "SUB flood 2\r\n")
            _ = try other.roundTrip()
            try pub.send("PUB flood 5\r\nafter\r\n")
            _ = try pub.roundTrip()
            XCTAssertEqual(try other.roundTrip().compactMap(\.payloadText), ["after"])
            // The slow one finds -ERR 'Slow Consumer' behind the data it never read, then the end.
            let rest = try slow.collect(timeout: 10) { $0.last == .err("Slow Consumer") }
            XCTAssertEqual(rest.last, .err("Slow Consumer"))
            XCTAssertTrue(slow.closedByPeer())
            let stats = try brokerStats(port: statsPort)
            XCTAssertEqual(stats["slow_consumers"], 1)
            XCTAssertEqual(stats["connections"], 2, "publisher and the other subscriber; the slow one is gone")
        }
    }

    func testStatsEndpointServesCountersAndGaugesApart() async throws {
        try await withBroker { port, statsPort in
            let c = try RawNATSConnection(port: port)
            try c.send(quiet + "SUB s 1\r\nPUB s 2\r\nhi\r\n")
            _ = try c.roundTrip()
            let response = try httpGet(port: statsPort, path: "/")
            XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK\r\n"), response)
            XCTAssertTrue(response.contains("Content-Type: application/json\r\n"))
            XCTAssertTrue(response.contains("Connection: close\r\n"))
            let body = try XCTUnwrap(response.components(separatedBy: "\r\n\r\n").last)
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let counters = try XCTUnwrap(object["counters"] as? [String: Int])
            let gauges = try XCTUnwrap(object["gauges"] as? [String: Int])
            XCTAssertEqual(Set(counters.keys), ["msgs_in", "msgs_out", "bytes_in", "bytes_out", "cache_hits", "cache_misses",
                                                "cache_evictions", "slow_consumers", "total_connections"])
            XCTAssertEqual(gauges, ["connections": 1, "subscriptions": 1])
            XCTAssertEqual(counters["msgs_in"], 1)
            XCTAssertEqual(counters["msgs_out"], 1)
            XCTAssertEqual(counters["bytes_in"], 2)
            XCTAssertTrue(try httpGet(port: statsPort, path: "/nope").hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        }
    }
}
