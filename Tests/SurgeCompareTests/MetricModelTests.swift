import SurgeCompare
import SurgeResults
import XCTest

final class MetricModelTests: XCTestCase {
    func testNamesAndTidiedNamesResolveToOneMetric() {
        XCTAssertEqual(Metric.named("sec/op").name, "ns/op")
        XCTAssertEqual(Metric.named("p99-sec").name, "p99-ns")
        XCTAssertEqual(Metric.named("cpu-sec/op").name, "cpu-ns/op")
        XCTAssertEqual(Metric.named("msgs/s").direction, .higherIsBetter)
        XCTAssertEqual(Metric.named("p99-ns").direction, .lowerIsBetter)
        XCTAssertEqual(Metric.named("cache-hit-ratio").direction, .higherIsBetter)
    }

    func testClasses() {
        XCTAssertEqual(Metric.named("peak-RSS-B").metricClass, .gauge)
        XCTAssertEqual(Metric.named("threads").metricClass, .gauge)
        // Per-op figures are averages over a window: statistical, not exact.
        for name in ["syscalls/op", "allocs/op", "B/op", "syscalls.write/op", "cpu-ns/op"] {
            XCTAssertEqual(Metric.named(name).metricClass, .statistical, name)
        }
    }

    func testDerivedOnlyWhenTheSourceIsMeasuredInTheSameCell() {
        let pubsub: Set<String> = ["msgs/s", "ns/op", "B/s", "sub-msgs/s", "pub-msgs/s"]
        XCTAssertEqual(Metric.named("sec/op", siblings: pubsub).derivedFrom, "msgs/s")
        XCTAssertEqual(Metric.named("B/s", siblings: pubsub).derivedFrom, "msgs/s")
        XCTAssertEqual(Metric.named("sub-msgs/s", siblings: pubsub).derivedFrom, "msgs/s")
        XCTAssertNil(Metric.named("msgs/s", siblings: pubsub).derivedFrom)
        XCTAssertEqual(Metric.named("ns/op", siblings: ["req/s", "ns/op"]).derivedFrom, "req/s")
        // A Go benchmark's sec/op restates nothing.
        XCTAssertNil(Metric.named("sec/op", siblings: ["sec/op", "B/op", "allocs/op"]).derivedFrom)
        XCTAssertEqual(Metric.named("node1.msgs/s").derivedFrom, "msgs/s")
    }
}
