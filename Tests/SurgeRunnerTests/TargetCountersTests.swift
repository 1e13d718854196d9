@testable import SurgeRunner
import XCTest

/// Window figures from two stats snapshots, with the component saying which figures are gauges.
final class TargetCountersTests: XCTestCase {
    func testCountersAreDifferencedAndGaugesKeptWhateverTheirNames() {
        let before = TargetStats(counters: ["msgs_in": 100, "connections_total": 3], gauges: ["queue_depth": 7])
        let after = TargetStats(counters: ["msgs_in": 350, "connections_total": 5, "new_counter": 4],
                                gauges: ["queue_depth": 2, "connections": 9])
        XCTAssertEqual(TargetCounters.delta(before: before, after: after),
                       ["msgs_in": 250, "connections_total": 2, "new_counter": 4, "queue_depth": 2, "connections": 9])
    }

    func testNodesMergeSumsCountersAndSizesAndTakesTheLargestPercentile() {
        var merged = TargetStats()
        merged.merge(TargetStats(counters: ["forwards": 10], gauges: ["known_peers": 2, "lookup_p99_ns": 500]), node: 0)
        merged.merge(TargetStats(counters: ["forwards": 5], gauges: ["known_peers": 2, "lookup_p99_ns": 900]), node: 1)
        XCTAssertEqual(merged.counters, ["forwards": 15, "node0.forwards": 10, "node1.forwards": 5])
        XCTAssertEqual(merged.gauges["known_peers"], 4)
        XCTAssertEqual(merged.gauges["lookup_p99_ns"], 900)
        XCTAssertEqual(merged.gauges["node0.lookup_p99_ns"], 500)
        XCTAssertEqual(merged["forwards"], 15)
        XCTAssertEqual(merged["known_peers"], 4)
    }
}
