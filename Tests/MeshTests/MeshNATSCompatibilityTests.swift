import Foundation
import Mesh
import SurgeTestKit
import XCTest

/// The mesh issue's table as tests: each check is a nats-py script (`MeshNATSChecks`) with clients on
/// different nodes of 3 mesh nodes (discovery cache on, the default 1 s) and, for the reference, of a
/// 3-node nats-server cluster joined by routes. (An extension of `MeshLoopbackTests`, whose mesh helpers it uses.)
extension MeshLoopbackTests {
    /// Runs one check against the mesh and, when nats-server is installed, against a cluster of it;
    /// `verify` sees each result with the target's name.
    func check(_ name: String, options: [String: String] = [:],
               verify: (_ target: String, _ result: [String: Any]) throws -> Void) async throws {
        _ = try NATSPython.require()
        let nodes = try await startMesh(3, options: options)
        do {
            let result = try runCheck(name, ports: nodes.map(\.port), settle: 0)
            try verify("mesh", result)
        } catch {
            await stopAll(nodes)
            throw error
        }
        await stopAll(nodes)
        guard SurgeBinary.which("nats-server") != nil else {
            try requireOrSkip("nats-server is not installed: the reference half of check \(name) did not run")
        }
        let cluster = try NATSServerCluster(size: 3)
        defer { cluster.stop() }
        try verify("nats-server cluster", try runCheck(name, ports: cluster.clientPorts, settle: 0.05))
    }

    func runCheck(_ name: String, ports: [Int], settle: Double) throws -> [String: Any] {
        let out = try NATSPython.run(MeshNATSChecks.script,
                                     arguments: [name] + ports.map { "nats://127.0.0.1:\($0)" } + ["\(settle)"], timeout: 30)
        guard out.status == 0, let line = out.stdout.split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CheckFailed(what: "check \(name) (status \(out.status)): \(out.stdout) \(out.stderr.suffix(2000))")
        }
        return json
    }

    func testFanOutAcrossNodesExactlyOnceInOrder() async throws {
        try await check("fanout") { target, r in
            XCTAssertEqual(r["n1"] as? Int, 1000, target)
            XCTAssertEqual(r["n2"] as? Int, 1000, target)
            XCTAssertEqual(r["in_order"] as? Bool, true, target)
        }
    }

    /// A DHT lookup per message: the messages wait for their lookups, still in publish order.
    func testFanOutWithTheDiscoveryCacheOffKeepsOrder() async throws {
        try await check("fanout", options: ["discovery-cache-ttl": "0"]) { target, r in
            XCTAssertEqual(r["n1"] as? Int, 1000, target)
            XCTAssertEqual(r["n2"] as? Int, 1000, target)
            XCTAssertEqual(r["in_order"] as? Bool, true, target)
        }
    }

    func testWildcardSubscriptionsMatchPublishesOnOtherNodes() async throws {
        try await check("wildcards") { target, r in
            XCTAssertEqual(r["star"] as? Int, 40, "\(target): orders.* gets orders.eu and orders.us")
            XCTAssertEqual(r["star_subjects"] as? [String], ["orders.eu", "orders.us"], target)
            XCTAssertEqual(r["gt"] as? Int, 60, "\(target): orders.> gets all three subjects")
            XCTAssertEqual(r["literal"] as? Int, 20, "\(target): the literal subscriber only its subject")
        }
    }

    func testQueueGroupGetsEachMessageOnceAcrossNodes() async throws {
        try await check("queue") { target, r in
            XCTAssertEqual(r["total"] as? Int, 1000, "\(target): one delivery per message to the group")
            XCTAssertEqual(r["distinct"] as? Int, 1000, target)
            XCTAssertGreaterThan(r["member1"] as? Int ?? 0, 0, "\(target): both members take a share")
            XCTAssertGreaterThan(r["member2"] as? Int ?? 0, 0, target)
            XCTAssertEqual(r["plain"] as? Int, 1000, "\(target): a plain subscriber beside the group gets all")
        }
    }

    func testRequestReplyAcrossNodesWithBothInboxStylesAndHeaders() async throws {
        try await check("request") { target, r in
            XCTAssertEqual(r["new_style"] as? Int, 25, "\(target): _INBOX.<id>.* requests answered")
            XCTAssertEqual(r["old_style"] as? Int, 25, "\(target): one-inbox-per-request answered")
            XCTAssertEqual(r["with_headers"] as? Int, 5, "\(target): headers there and back")
        }
    }

    func testNoRespondersAcrossNodesAnswersAtOnce() async throws {
        try await check("no_responders") { target, r in
            XCTAssertEqual(r["outcome"] as? String, "no_responders", target)
            XCTAssertEqual(r["headers_in_info"] as? Bool, true, target)
            XCTAssertLessThan(r["ms"] as? Double ?? 9e9, 1000, target)
        }
    }

    func testHeadersAndReplySubjectsReachSubscribersOnEveryNode() async throws {
        try await check("headers") { target, r in
            XCTAssertEqual(r["far_ok"] as? Int, 10, "\(target): another node's subscriber")
            XCTAssertEqual(r["near_ok"] as? Int, 10, "\(target): the publisher's node's subscriber")
        }
    }

    func testLateJoinerLosesNothingAfterTheSubIsAcknowledged() async throws {
        try await check("late_joiner") { target, r in
            XCTAssertGreaterThan(r["published_after_ack"] as? Int ?? 0, 100, target)
            XCTAssertEqual(r["lost_after_ack"] as? Int, 0, target)
            XCTAssertEqual(r["duplicates"] as? Int, 0, target)
        }
    }

    func testNothingArrivesAfterTheUnsubIsAcknowledged() async throws {
        try await check("unsub") { target, r in
            XCTAssertGreaterThan(r["received_before"] as? Int ?? 0, 0, target)
            XCTAssertEqual(r["received_after_ack"] as? Int, 0, target)
        }
    }

    /// Cache off: publishes sent while their subject's lookup runs share the next lookup, which begins
    /// after they were published, so an acknowledged SUB or UNSUB holds for every later publish.
    func testCacheOffSharedLookupsStillHonourSubAndUnsubAcks() async throws {
        try await check("late_joiner", options: ["discovery-cache-ttl": "0"]) { target, r in
            XCTAssertGreaterThan(r["published_after_ack"] as? Int ?? 0, 100, target)
            XCTAssertEqual(r["lost_after_ack"] as? Int, 0, target)
            XCTAssertEqual(r["duplicates"] as? Int, 0, target)
        }
        try await check("unsub", options: ["discovery-cache-ttl": "0"]) { target, r in
            XCTAssertGreaterThan(r["received_before"] as? Int ?? 0, 0, target)
            XCTAssertEqual(r["received_after_ack"] as? Int, 0, target)
        }
    }
}

struct CheckFailed: Error, CustomStringConvertible {
    var what: String
    var description: String { what }
}
