import SurgeScenario
import XCTest

/// `--shard i/n`: every cell in exactly one shard, the same split every time, balanced by expected cost.
final class ShardPlanTests: XCTestCase {
    func scenario(_ matrix: String) throws -> Scenario {
        try ScenarioLoader.parse(
            """
            name: shards
            target: { component: broker }
            workloads:
              short: { kind: nats.pubsub, duration: 1s, payload: "{payload}", subscribers: "{subscribers}" }
              long: { kind: nats.pubsub, duration: 4s, payload: "{payload}", subscribers: "{subscribers}" }
              counted: { kind: nats.pubsub, messages: 200000, payload: "{payload}", subscribers: "{subscribers}" }
            matrix:
            \(matrix)
            repetitions: 3
            warmup: 1s
            """, file: "shards.yaml")
    }

    func testEveryCellInExactlyOneShardAndTheSplitIsStable() throws {
        let s = try scenario("  workload: [short, long, counted]\n  payload: [16, 128, 1024]\n  subscribers: [0, 1]")
        let cells = s.cells()
        XCTAssertEqual(cells.count, 18)
        for n in 1...7 {
            var seen: [String] = []
            for i in 1...n {
                let slice = ShardPlan.cells(cells, in: s, for: try ShardSpec(index: i, count: n))
                // Matrix order inside a shard.
                XCTAssertEqual(slice.map(\.index), slice.map(\.index).sorted())
                seen += slice.map(\.name)
            }
            XCTAssertEqual(seen.sorted(), cells.map(\.name).sorted(), "n=\(n)")
            XCTAssertEqual(ShardPlan.assignment(of: cells, in: s, shards: n),
                           ShardPlan.assignment(of: s.cells(), in: s, shards: n))
        }
    }

    func testShardsAreBalancedByExpectedCost() throws {
        let s = try scenario("  workload: [short, long, counted]\n  payload: [16, 128, 1024]\n  subscribers: [0, 1]")
        let cells = s.cells()
        // 6 cells each: 1 + 3 × 1 s = 4 s, 1 + 3 × 4 s = 13 s, 1 + 3 × 2 s = 7 s; 144 s in all.
        XCTAssertEqual(cells.map { ShardPlan.cost(of: $0, in: s) }.reduce(0, +), 144, accuracy: 1e-9)
        let costs = (1...3).map { i in
            ShardPlan.cells(cells, in: s, for: try! ShardSpec(index: i, count: 3))
                .map { ShardPlan.cost(of: $0, in: s) }.reduce(0, +)
        }
        XCTAssertEqual(costs.reduce(0, +), 144, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(costs.max()! - costs.min()!, 4, "\(costs)")
        // Counting cells would have put all six long cells into shards 1 and 2 (rows 2 of 3 per shard).
        let long = (1...3).map { i in
            ShardPlan.cells(cells, in: s, for: try! ShardSpec(index: i, count: 3)).filter { $0.workloadName == "long" }.count
        }
        XCTAssertEqual(long, [2, 2, 2])
    }

    /// Equal costs must not go round-robin: in broker-fanout's matrix (flush last, three values) that put
    /// every `flush=immediate` cell, the slowest, into shard 1 (94 s against 24 and 20 s, measured).
    func testEqualCostCellsDoNotLineUpWithAnAxis() throws {
        let s = try ScenarioLoader.parse(
            """
            name: fan
            target: { component: broker, options: { flush: "{flush}" } }
            workload: { kind: nats.pubsub, messages: 1000, payload: "{payload}", publishers: 1, subscribers: "{subscribers}" }
            matrix:
              subscribers: [0, 1]
              payload: [16, 128, 1024, 4096, 8192]
              flush: [immediate, batched, read]
            """, file: "fan.yaml")
        let cells = s.cells()
        XCTAssertEqual(Set(cells.map { ShardPlan.cost(of: $0, in: s) }).count, 1)
        for i in 1...3 {
            let slice = ShardPlan.cells(cells, in: s, for: try ShardSpec(index: i, count: 3))
            XCTAssertEqual(slice.count, 10)
            let immediate = slice.filter { $0.name.contains("flush=immediate") }.count
            XCTAssertLessThan(immediate, 8, "shard \(i): \(slice.map(\.name))")
        }
        // Subscribers multiply a count-bounded window's work.
        let fan = try ScenarioLoader.parse(
            """
            name: fan2
            target: { component: broker }
            workload: { kind: nats.pubsub, messages: 100000, publishers: 2, subscribers: "{subscribers}" }
            matrix: { subscribers: [0, 8] }
            repetitions: 1
            warmup: 0s
            """, file: "fan2.yaml")
        XCTAssertEqual(fan.cells().map { ShardPlan.cost(of: $0, in: fan) }, [2, 16])
    }

    func testBadShardSpecsNameTheValue() {
        for text in ["0/3", "4/3", "1/0", "a/3", "2", "1/2/3", "-1/2"] {
            XCTAssertThrowsError(try ShardSpec(parsing: text), text) { error in
                XCTAssertTrue("\(error)".hasPrefix("--shard '\(text)': "), "\(error)")
            }
        }
        XCTAssertEqual(try ShardSpec(parsing: "2/3"), try ShardSpec(index: 2, count: 3))
    }
}
