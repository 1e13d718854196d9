import Foundation
import SurgeResults
import SurgeRunner
import SurgeScenario
import SurgeTestKit
import XCTest

/// Allocation budgets of the hot paths, as swift-nio keeps them: a checked-in number of heap
/// allocations per operation in steady state, asserted both ways. Above the budget is a regression;
/// below it means the path got cheaper and the budget must be lowered to the new figure, so that
/// the next regression is caught from there.
///
/// Each path is driven at a fixed, low rate, so every operation is its own socket read and its own
/// flush: what is counted is the whole unbatched cost of one operation (read, parse, route, encode,
/// write), which does not depend on how a flood happens to batch. The release `surge` runs as a
/// child with the LD_PRELOAD counter; the window is the runner's measurement window.
final class AllocationBudgetTests: XCTestCase {
    struct Budget {
        let path: String
        let allocsPerOp: Double
        /// The share of the budget a measurement may differ by (see `tolerance`).
        var relativeTolerance = 0.05
        let scenario: String
    }

    /// Release build, 2 cores, two repetitions each: HTTP 0.0185 twice (2026-12-06; the connections'
    /// timer ticks, nothing per request), 0.0195 since the fixed routes' whole responses are built
    /// once a second (2026-12-07: one more buffer per second and variant).
    /// Mesh 0.0220 twice (2026-12-07): 88 allocations per window, as many in a 6000-message window,
    /// so none per message; down from
    /// 5.5-5.9 on a quiet machine: per message, the receiving node boxed each frame in an `NIOAny`
    /// and both nodes gave each written frame a fresh buffer (two allocations each), and the sending
    /// node's NATS scanner built an array at the end of every read. Those per-flush allocations were
    /// why the mesh figure fell to ~4 under load, when reads and flushes carry several messages.
    /// Broker delivery, default threads (publisher and subscriber on different event loops): 0.0045-0.0053
    /// (18-21 allocations in the window) in the first repetition and 0 in the second, three runs
    /// (2026-12-07), so nothing per message. It was 4.55 before the flush reused its buffer and went
    /// without a promise, then 1.30-1.36 until the cross-loop flush task stopped going through `??`
    /// (two reabstraction thunks per flush, see `BrokerConnection.scheduleFlush`).
    /// The counted window holds 4000 operations.
    static let budgets: [Budget] = [
        Budget(path: "broker delivery, one publisher, one subscriber", allocsPerOp: 0.005, scenario: """
            name: budget-broker
            target: { component: broker }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 128, rate: 2000, duration: 2s }
            """),
        Budget(path: "HTTP request/response, keep-alive GET /plaintext", allocsPerOp: 0.0195, scenario: """
            name: budget-http
            target: { component: http }
            workload: { kind: http.open, connections: 4, rate: 2000, duration: 2s, path: /plaintext }
            """),
        Budget(
            path: "mesh forward, node 0 → node 1, one subscriber", allocsPerOp: 0.0220,
            scenario: """
            name: budget-mesh
            target: { component: mesh-node, nodes: 2, options: { discovery-cache-ttl: 5s } }
            workload:
              kind: nats.pubsub
              publishers: 1
              subscribers: 1
              payload: 128
              rate: 2000
              duration: 2s
              publish-on: [0]
              subscribe-on: [1]
            """),
    ]

    /// Room for what scheduling adds now and then (a timer firing inside the window or not): a share
    /// of the budget and 0.01 allocations per operation, so that budgets near zero are still checked
    /// from below.
    static func tolerance(_ budget: Budget) -> Double { budget.allocsPerOp * budget.relativeTolerance + 0.01 }

    func testHotPathsStayOnTheirAllocationBudgets() async throws {
        let surge = try BrokerAllocationTests.releaseSurge()
        let library = URL(fileURLWithPath: surge).deletingLastPathComponent()
            .appendingPathComponent("libSurgeAllocCounter.so").path
        guard FileManager.default.isReadableFile(atPath: library) else {
            try requireOrSkip(
                "libSurgeAllocCounter.so is not built beside \(surge); `\(surge) probe --preload-library` builds it"
                    + " (Scripts/test does)")
        }
        var report: [String] = []
        for budget in Self.budgets {
            let result = try await BrokerAllocationTests.run(
                budget.scenario + "\nwarmup: 500ms\nrepetitions: 2\n", probes: ["allocations"], surge: surge,
                components: ["broker", "http", "mesh-node"])
            let method = result.probeMethods["allocs/op"] ?? "none"
            XCTAssertTrue(method.contains("preload"), "\(budget.path): allocations counted by \(method), not the preload")
            let cell = try XCTUnwrap(result.cells.first)
            XCTAssertEqual(cell.status, .ok, "\(budget.path): \(cell.reason ?? "")")
            let samples = cell.samples.filter { $0.metrics["allocs/op"] != nil }
            XCTAssertEqual(samples.count, 2, "\(budget.path): allocs/op measured in each repetition")
            for s in samples {
                let measured = s.metrics["allocs/op"] ?? .nan
                XCTAssertGreaterThan(s.operations, 3000, "\(budget.path): the window covers the phase")
                report.append(String(format: "%@: %.4f allocs/op over %d ops (budget %g)",
                                     budget.path, measured, s.operations, budget.allocsPerOp))
                let slack = Self.tolerance(budget)
                let what = "\(budget.path): \(measured) allocs/op"
                XCTAssertLessThanOrEqual(measured, budget.allocsPerOp + slack,
                                         "\(what) is over its budget of \(budget.allocsPerOp)")
                XCTAssertGreaterThanOrEqual(
                    measured, budget.allocsPerOp - slack,
                    "\(what) is under its budget of \(budget.allocsPerOp): lower it in AllocationBudgetTests.budgets")
            }
        }
        print(report.joined(separator: "\n"))
    }
}
