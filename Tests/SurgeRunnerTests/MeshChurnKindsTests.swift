import SurgeResults
import XCTest

/// `mesh.churn` with literal, wildcard and queue-group subscribers, the discovery cache on (1 s) and no
/// settle allowance: every message published after a SUB's PONG must arrive, as on one NATS server.
final class MeshChurnKindsTests: XCTestCase {
    func testWildcardAndQueueSubscribersLoseNothingAfterTheSubAck() async throws {
        let (_, result) = try await RunnerTestSupport.run("""
            name: churn-kinds
            target: { component: mesh-node, nodes: 3, options: { discovery-cache-ttl: 1s } }
            workload: { kind: mesh.churn, publishers: 1, subscribers: 3, subjects: 3, rate: 300, duration: 3s, hold: 500ms, settle: 0s, gap: 100ms, subscriptions: "plain,wildcard,queue", publish-on: [0], subscribe-on: [1, 2] }
            warmup: 0s
            repetitions: 1
            """)
        let cell = try XCTUnwrap(result.cells.first)
        XCTAssertEqual(cell.status, .ok, cell.reason ?? "")
        let m = try XCTUnwrap(cell.samples.first?.metrics)
        XCTAssertEqual(m["lost-msgs"], 0)
        XCTAssertGreaterThanOrEqual(m["tenures"] ?? 0, 6, "3 subscribers × at least 2 join/leave cycles in 3 s")
        // A tenure begun just before `deadline - hold` may see its PONG only after the publisher stopped.
        XCTAssertLessThanOrEqual(m["undiscovered-tenures"] ?? 99, 1)
    }
}
