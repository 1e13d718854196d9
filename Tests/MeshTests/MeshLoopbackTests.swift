import Foundation
import Mesh
import NIOCore
import NIOPosix
import XCTest

/// Real mesh nodes in process, each on its own event loop, talking over 127.0.0.1.
final class MeshLoopbackTests: XCTestCase {
    struct Running {
        var node: MeshNode
        var port: Int
        var statsPort: Int
        var peerPort: Int
    }

    func startMesh(_ count: Int, options: [String: String] = [:]) async throws -> [Running] {
        var nodes: [Running] = []
        for i in 0..<count {
            var o = options
            if i > 0 { o["bootstrap"] = "127.0.0.1:\(nodes[0].peerPort)" }
            let node = MeshNode(options: try MeshNodeOptions(options: o))
            let p = try await node.start()
            nodes.append(Running(node: node, port: p.port, statsPort: p.statsPort, peerPort: p.peerPort))
        }
        let deadline = Date().addingTimeInterval(10)
        while true {
            var known: [Int] = []
            for n in nodes { known.append(try await stats(n)["known_peers"] ?? 0) }
            if known.allSatisfy({ $0 >= count - 1 }) { break }
            if Date() > deadline { throw TimeoutError(what: "the DHT to converge (known peers \(known))") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return nodes
    }

    func stats(_ n: Running) async throws -> [String: Int] {
        let json = await n.node.statsJSON()
        let obj = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        let counters = obj["counters"] as? [String: Any] ?? [:], gauges = obj["gauges"] as? [String: Any] ?? [:]
        return counters.merging(gauges) { a, _ in a }.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    func stopAll(_ nodes: [Running]) async {
        for n in nodes { await n.node.stop() }
    }

    func testThreeNodesDeliverExactlyOnceAcrossNodes() async throws {
        for options in [["peer-connections": "pooled", "batch-window": "200us"],
                        ["discovery-cache-ttl": "0", "batch-window": "0"],
                        ["peer-connections": "per-publish", "routing-table": "off"]] {
            let nodes = try await startMesh(3, options: options)
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            var clients: [TestNATSClient] = []
            do {
                // Subscribers on every node (two on node 1), then publishers on nodes 0 and 2.
                for (i, n) in [nodes[0], nodes[1], nodes[1], nodes[2]].enumerated() {
                    let c = try TestNATSClient(port: n.port, group: group)
                    try c.send("SUB orders.eu \(i + 1)\r\n")
                    try c.barrier()
                    clients.append(c)
                }
                let pub0 = try TestNATSClient(port: nodes[0].port, group: group)
                let pub2 = try TestNATSClient(port: nodes[2].port, group: group)
                let count = 300
                var expected: [String] = []
                var a = "", b = ""
                for k in 0..<count {
                    a += "PUB orders.eu 6\r\n" + String(format: "a%05d", k) + "\r\n"
                    b += "PUB orders.eu 6\r\n" + String(format: "b%05d", k) + "\r\n"
                    expected += [String(format: "a%05d", k), String(format: "b%05d", k)]
                }
                try pub0.send(a)
                try pub2.send(b)
                try pub0.barrier()
                try pub2.barrier()
                for (i, c) in clients.enumerated() {
                    try c.wait(timeout: 10, "subscriber \(i + 1) to get \(2 * count) messages (\(options))") {
                        c.messages(sid: "\(i + 1)").count >= 2 * count
                    }
                }
                try await Task.sleep(nanoseconds: 200_000_000) // room for duplicates to show up
                for (i, c) in clients.enumerated() {
                    let got = c.messages(sid: "\(i + 1)")
                    XCTAssertEqual(got.count, 2 * count, "subscriber \(i + 1), \(options): exactly once")
                    XCTAssertEqual(got.sorted(), expected.sorted(), "subscriber \(i + 1), \(options)")
                    // Per publisher, messages arrive in publish order.
                    XCTAssertEqual(got.filter { $0.hasPrefix("a") }, (0..<count).map { String(format: "a%05d", $0) })
                    XCTAssertEqual(got.filter { $0.hasPrefix("b") }, (0..<count).map { String(format: "b%05d", $0) })
                }
                let s0 = try await stats(nodes[0])
                let s1 = try await stats(nodes[1])
                XCTAssertEqual(s0["msgs_in"], count)
                XCTAssertEqual(s0["forwards"], 2 * count, "node 0 forwards each message to nodes 1 and 2")
                XCTAssertEqual(s1["msgs_delivered"], 4 * count, "node 1 delivers both publishers' messages to its two subscribers")
                XCTAssertGreaterThan(s0["dht_queries_sent"] ?? 0, 0)
                if options["discovery-cache-ttl"] == "0" {
                    XCTAssertEqual(s0["cache_hits"], 0)
                    XCTAssertEqual(s0["cache_misses"], count, "every publish waits for a lookup")
                    // The first publish starts a lookup; the ones sent while it runs share the next.
                    let lookups = s0["discovery_lookups"] ?? 0
                    XCTAssertGreaterThanOrEqual(lookups, 2)
                    XCTAssertLessThanOrEqual(lookups, count)
                    XCTAssertGreaterThanOrEqual(lookups + (s0["lookups_coalesced"] ?? 0), count,
                                                "each publish began a lookup or joined one")
                    XCTAssertGreaterThanOrEqual(s0["dht_queries_sent"] ?? 0, lookups)
                } else {
                    XCTAssertEqual((s0["cache_hits"] ?? 0) + (s0["cache_misses"] ?? 0), count)
                    XCTAssertLessThanOrEqual(s0["discovery_lookups"] ?? 99, 2, "one lookup serves every message while the cache entry lives")
                }
                if options["peer-connections"] == "per-publish" {
                    // One frame in flight per peer; the messages published meanwhile share the next frame.
                    let frames = s0["batches"] ?? 0
                    XCTAssertGreaterThanOrEqual(frames, 2, "at least one frame to each of nodes 1 and 2")
                    XCTAssertGreaterThanOrEqual(s0["peer_connections_opened"] ?? 0, frames,
                                                "a connection per forwarded frame")
                    XCTAssertEqual(s0["peer_connections_failed"], 0, "no burst of connects past the connect timeout")
                }
                XCTAssertGreaterThan(s0["discovery_latency_count"] ?? 0, 0)
                XCTAssertGreaterThan(s0["discovery_latency_p50_ns"] ?? 0, 0)
            } catch {
                for n in nodes { print("mesh node stats after failure (\(options)):", (try? await stats(n)) ?? [:]) }
                for c in clients { c.close() }
                await stopAll(nodes)
                try? await group.shutdownGracefully()
                throw error
            }
            for c in clients { c.close() }
            await stopAll(nodes)
            try await group.shutdownGracefully()
        }
    }

    func testRecordsAreRefreshedWhileSubscribedAndExpireWhenTheNodeIsGone() async throws {
        let nodes = try await startMesh(3, options: ["record-ttl": "400ms", "discovery-cache-ttl": "0"])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let sub = try TestNATSClient(port: nodes[1].port, group: group)
        try sub.send("SUB t.1 1\r\n")
        try sub.barrier()
        let gone = try TestNATSClient(port: nodes[2].port, group: group)
        try gone.send("SUB t.1 9\r\n")
        try gone.barrier()
        var s0 = try await stats(nodes[0])
        XCTAssertEqual(s0["stored_records"], 2, "node 0 holds t.1 -> node 1 and t.1 -> node 2")
        // Node 2 stops (withdrawing its record, as on SIGTERM); node 1 keeps refreshing its own.
        await nodes[2].node.stop()
        try await Task.sleep(nanoseconds: 1_200_000_000) // three TTLs
        s0 = try await stats(nodes[0])
        XCTAssertEqual(s0["stored_records"], 1, "node 2's record expired, node 1's was refreshed")
        let pub = try TestNATSClient(port: nodes[0].port, group: group)
        try pub.send("PUB t.1 2\r\nhi\r\n")
        try sub.wait(timeout: 5, "delivery after refresh") { sub.messages(sid: "1") == ["hi"] }
        // Unsubscribing withdraws the record at once.
        try sub.send("UNSUB 1\r\n")
        try sub.barrier()
        try await Task.sleep(nanoseconds: 100_000_000)
        s0 = try await stats(nodes[0])
        XCTAssertEqual(s0["stored_records"], 0)
        for c in [sub, gone, pub] { c.close() }
        await stopAll(Array(nodes.prefix(2)))
        try await group.shutdownGracefully()
    }

    func testSubscriberThatJoinsIsFoundWithinTheCacheTTL() async throws {
        let nodes = try await startMesh(2, options: ["discovery-cache-ttl": "300ms"])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pub = try TestNATSClient(port: nodes[0].port, group: group)
        try pub.send("PUB late.topic 1\r\nx\r\n") // caches "no subscriber nodes"
        try pub.barrier()
        let sub = try TestNATSClient(port: nodes[1].port, group: group)
        try sub.send("SUB late.topic 1\r\n")
        try sub.barrier()
        let joined = Date()
        var found: Double?
        while found == nil && Date().timeIntervalSince(joined) < 3 {
            try pub.send("PUB late.topic 1\r\ny\r\n")
            try await Task.sleep(nanoseconds: 10_000_000)
            if !sub.messages(sid: "1").isEmpty { found = Date().timeIntervalSince(joined) }
        }
        let seconds = try XCTUnwrap(found, "the new subscriber was never found")
        XCTAssertLessThan(seconds, 0.3 + 0.2, "found within the cache TTL (plus scheduling slack)")
        sub.close()
        pub.close()
        await stopAll(nodes)
        try await group.shutdownGracefully()
    }
}

extension MeshLoopbackTests {
    func testExpiredEntryServesWhileRefreshingOrMakesPublishesWait() async throws {
        for serveStale in ["on", "off"] {
            let nodes = try await startMesh(2, options: ["discovery-cache-ttl": "100ms", "serve-stale": serveStale])
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let sub = try TestNATSClient(port: nodes[1].port, group: group)
            try sub.send("SUB s.t 1\r\n")
            try sub.barrier()
            let pub = try TestNATSClient(port: nodes[0].port, group: group)
            try pub.send("PUB s.t 1\r\na\r\n")
            try pub.barrier()
            try await Task.sleep(nanoseconds: 250_000_000) // the entry expires
            try pub.send("PUB s.t 1\r\nb\r\n")
            try pub.barrier()
            try sub.wait(timeout: 5, "both messages (serve-stale=\(serveStale))") { sub.messages(sid: "1").count == 2 }
            XCTAssertEqual(sub.messages(sid: "1"), ["a", "b"])
            let s0 = try await stats(nodes[0])
            XCTAssertEqual(s0["discovery_lookups"], 2, "the first publish discovers, the one after expiry refreshes")
            if serveStale == "on" {
                XCTAssertEqual(s0["cache_misses"], 1)
                XCTAssertEqual(s0["cache_stale_hits"], 1, "the expired entry served the second publish")
            } else {
                XCTAssertEqual(s0["cache_misses"], 2, "the second publish waited for the refresh")
                XCTAssertEqual(s0["cache_stale_hits"], 0)
            }
            sub.close()
            pub.close()
            await stopAll(nodes)
            try await group.shutdownGracefully()
        }
    }
}
