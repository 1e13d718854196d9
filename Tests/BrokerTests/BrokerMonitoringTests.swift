import Foundation
import SurgeTestKit
import XCTest

/// Issue 14 point 4: `/varz`, `/connz`, `/subsz`, `/healthz` in nats-server's shape on the stats
/// (monitoring) port, other paths 404, and Surge's flat counters still on `/stats` for the runner.
final class BrokerMonitoringTests: XCTestCase {
    func testMonitoringPathsCountTheSameTrafficAsNATSServer() async throws {
        try await againstBoth { server in
            let sub = try RawNATSConnection(port: server.port)
            try sub.send("CONNECT {\"verbose\":false,\"name\":\"the-sub\"}\r\nSUB m 1\r\n")
            _ = try sub.roundTrip()
            let pub = try RawNATSConnection(port: server.port)
            try pub.send("CONNECT {\"verbose\":false,\"name\":\"the-pub\"}\r\nPUB m 5\r\nhello\r\nPUB m 5\r\nworld\r\nPUB x 3\r\nabc\r\n")
            _ = try pub.roundTrip()
            XCTAssertEqual(try sub.roundTrip().compactMap(\.payloadText), ["hello", "world"], server.name)

            let varz = try monitor(port: server.monitorPort, "/varz")
            XCTAssertEqual(varz.status, 200, server.name)
            let v = varz.json ?? [:]
            XCTAssertEqual(v["in_msgs"] as? Int, 3, server.name)
            XCTAssertEqual(v["out_msgs"] as? Int, 2, server.name)
            XCTAssertEqual(v["in_bytes"] as? Int, 13, server.name)
            XCTAssertEqual(v["out_bytes"] as? Int, 10, server.name)
            XCTAssertEqual(v["connections"] as? Int, 2, server.name)
            XCTAssertEqual(v["slow_consumers"] as? Int, 0, server.name)
            XCTAssertNotNil(v["subscriptions"] as? Int, server.name)
            for key in ["server_id", "version", "max_payload", "max_pending", "ping_interval", "write_deadline", "now"] {
                XCTAssertNotNil(v[key], "\(server.name) /varz lacks \(key)")
            }

            let connz = try monitor(port: server.monitorPort, "/connz").json ?? [:]
            XCTAssertEqual(connz["num_connections"] as? Int, 2, server.name)
            let list = connz["connections"] as? [[String: Any]] ?? []
            let byName = Dictionary(list.map { ($0["name"] as? String ?? "", $0) }) { a, _ in a }
            XCTAssertEqual(byName["the-pub"]?["in_msgs"] as? Int, 3, "\(server.name): \(list)")
            XCTAssertEqual(byName["the-sub"]?["out_msgs"] as? Int, 2, "\(server.name): \(list)")
            XCTAssertEqual(byName["the-sub"]?["subscriptions"] as? Int, 1, server.name)
            XCTAssertNotNil(byName["the-pub"]?["cid"] as? Int, server.name)

            let subsz = try monitor(port: server.monitorPort, "/subsz")
            XCTAssertEqual(subsz.status, 200, server.name)
            XCTAssertNotNil(subsz.json?["num_subscriptions"] as? Int, server.name)
            let health = try monitor(port: server.monitorPort, "/healthz")
            XCTAssertEqual(health.json?["status"] as? String, "ok", server.name)
            XCTAssertEqual(try monitor(port: server.monitorPort, "/nope").status, 404, server.name)
            if !server.isNATSServer {
                let flat = try ComponentStatsReader.all(port: server.monitorPort)
                XCTAssertEqual(flat["msgs_in"], 3)
                XCTAssertEqual(flat["connections"], 2)
                let stats = try monitor(port: server.monitorPort, "/stats").json
                XCTAssertNotNil(stats?["counters"] as? [String: Any], "the runner's path /stats")
            }
        }
    }

    /// A nats.py client named by its options appears in /connz with the messages it published.
    func testNATSPyClientShowsInConnz() async throws {
        let script = """
            import asyncio, sys, json, urllib.request, nats
            async def main():
                nc = await nats.connect(f"nats://127.0.0.1:{sys.argv[1]}", name="py-client", allow_reconnect=False)
                for i in range(4):
                    await nc.publish("anything", b"abc")
                await nc.flush()
                connz = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[2]}/connz").read())
                mine = [c for c in connz["connections"] if c.get("name") == "py-client"]
                print(len(mine), mine[0]["in_msgs"], mine[0]["in_bytes"], mine[0]["lang"])
                await nc.close()
            asyncio.run(main())
            """
        try await againstBoth { server in
            let out = try NATSPython.run(script, arguments: ["\(server.port)", "\(server.monitorPort)"])
            XCTAssertEqual(out.status, 0, "\(server.name): \(out.stderr)")
            XCTAssertEqual(out.stdout, "1 4 12 python3\n", server.name)
        }
    }
}
