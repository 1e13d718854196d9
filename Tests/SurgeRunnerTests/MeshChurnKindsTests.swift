import SurgeResults
import XCTest

/// `mesh.churn` with literal, wildcard and queue-group subscribers, the discovery cache on (1 s) and no
/// settle allowance: every message published after a SUB's PONG must arrive, as on one NATS server.
final class MeshChurnKindsTests: XCTestCase {
    func testWildcardAndQueueSubscribersLoseNothingAfterTheSubAck() async throws {
        let (_, result) = try await RunnerTestSupport.run("""
            name: churn-kinds
            target: { component: mesh-node, nodes: 3, options: { discovery-cache-ttl: 1s } }
            workload: { kind: mesh.churn, publishers: 1, subscribers: 3, subjects: 3, rate: 300, duration: 3s, hold: 500ms, settle: 0s, gap: 100ms, tenures: 2, subscriptions: "plain,wildcard,queue", publish-on: [0], subscribe-on: [1, 2] }
            warmup: 0s
            repetitions: 1
            """)
        let cell = try XCTUnwrap(result.cells.first)
        XCTAssertEqual(cell.status, .ok, cell.reason ?? "")
        let m = try XCTUnwrap(cell.samples.first?.metrics)
        XCTAssertEqual(m["lost-msgs"], 0)
        XCTAssertGreaterThanOrEqual(m["tenures"] ?? 0, 6, "3 subscribers × at least 2 join/leave cycles (tenures: 2)")
        // Publishing outlasts every tenure (tenures > 0), so each one was found.
        XCTAssertEqual(m["undiscovered-tenures"], 0)
    }

    /// Churning responders on nodes 1 and 2 (one beside a plain subscriber), requests from node 0 with
    /// a wildcard inbox: every request after a responder's SUB ack reaches it, and every reply it sent
    /// reaches the requester exactly once.
    func testRespondersAnswerEveryRequestExactlyOnceAcrossNodes() async throws {
        let (_, result) = try await RunnerTestSupport.run("""
            name: churn-reply
            target: { component: mesh-node, nodes: 3, options: { discovery-cache-ttl: 1s } }
            workload: { kind: mesh.churn, publishers: 1, subscribers: 3, subjects: 3, rate: 300, duration: 3s, hold: 500ms, settle: 0s, gap: 100ms, tenures: 2, subscriptions: "reply,plain", publish-on: [0], subscribe-on: [1, 2] }
            warmup: 0s
            repetitions: 1
            """)
        let cell = try XCTUnwrap(result.cells.first)
        XCTAssertEqual(cell.status, .ok, cell.reason ?? "")
        let m = try XCTUnwrap(cell.samples.first?.metrics)
        XCTAssertEqual(m["lost-msgs"], 0)
        XCTAssertEqual(m["lost-replies"], 0)
        XCTAssertEqual(m["duplicate-replies"], 0)
        XCTAssertEqual(m["undiscovered-tenures"], 0)
        // Two responders, each in for at least two 500 ms tenures at 300 requests/s.
        XCTAssertGreaterThan(m["replies"] ?? 0, 400, "the responders answered")
        XCTAssertGreaterThan(m["reply-p50-ns"] ?? 0, 0)
    }
}
