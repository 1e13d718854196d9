import Foundation
import SurgeResults
import XCTest
@testable import SurgeReport

/// The report's first sentence compares only cells whose throughput compares.
final class ReportHeadlineTests: XCTestCase {
    /// A pub/sub flood, a fixed-rate pub/sub cell and a mesh churn cell: the fixed-rate cell measures its
    /// rate and the mesh cell is another kind, so neither is "the slowest".
    func testFastestAndSlowestAreClosedLoopCellsOfOneKind() throws {
        var run = SyntheticRuns.run(id: "h", at: 1_795_000_000, commit: "1")
        // publishers=1 immediate 1M, batched 2M; publishers=4 immediate 4M, batched 8M.
        run.cells[0].workloadKind = "nats.pubsub"
        run.cells[1].workloadKind = "nats.pubsub"
        run.cells[1].offeredRate = 2_000
        run.cells[2].workloadKind = "mesh.churn"
        run.cells[3].workloadKind = "nats.pubsub"
        let report = try RunReport(run: run, runPath: "h.json")
        XCTAssertEqual(report.fastestCell?.cell.label, "publishers=4 flush=batched")
        XCTAssertEqual(report.slowestCell?.cell.label, "publishers=1 flush=immediate")
        let line = try XCTUnwrap(report.headline.first)
        XCTAssertTrue(
            line.hasPrefix("Fastest cell of the closed-loop nats.pubsub cells: publishers=4 flush=batched"), line)
        XCTAssertTrue(line.contains("slowest: publishers=1 flush=immediate"), line)
    }
}
