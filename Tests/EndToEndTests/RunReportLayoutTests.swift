import Foundation
import SurgeResults
import SurgeTestKit
import XCTest

/// `surge run --report` on a real run against the built-in broker: the result records the load
/// after the run and each cell's workload kind and offered rate, and the report opens with the
/// header and shows one key-metrics table per kind, the flood's latency captioned.
final class RunReportLayoutTests: XCTestCase {
    func testARealRunsReportHasTheHeaderAndOneTablePerKind() throws {
        let dir = SurgeBinary.tempDir("surge-layout")
        try """
        name: layout-run
        target: { component: broker }
        workloads:
          flood: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 64, duration: 200ms }
          paced: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 64, duration: 200ms, rate: 500 }
          request: { kind: nats.request, clients: 1, payload: 64, duration: 200ms }
        matrix: { workload: [flood, paced, request] }
        warmup: 100ms
        repetitions: 2
        probes: [cpu, memory]
        """.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
        let r = try SurgeBinary.run(["run", "s.yaml", "--out", "runs", "--report", "report", "-q"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)

        let json = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs").first { $0.hasSuffix(".json") })
        let run = try RunResultCodec.read(path: "\(dir)/runs/\(json)")
        XCTAssertEqual(run.host.loadAverageAfter?.count, 3, "the load average at the end of the run is recorded")
        XCTAssertEqual(run.cells.map(\.workloadKind), ["nats.pubsub", "nats.pubsub", "nats.request"])
        XCTAssertEqual(run.cells.map(\.offeredRate), [nil, 500, nil])

        let md = try String(contentsOfFile: "\(dir)/report/report.md", encoding: .utf8)
        let html = try String(contentsOfFile: "\(dir)/report/index.html", encoding: .utf8)
        let after = try XCTUnwrap(run.host.loadAverageAfter).map { String(format: "%.2f", $0) }.joined(separator: " ")
        for text in [md, html] {
            XCTAssertTrue(text.contains("after \(after) (1, 5, 15 min)"), "load after the run shown")
            XCTAssertTrue(text.contains("\(run.host.cores) core"), "cores shown")
            XCTAssertTrue(text.contains(run.host.kernel), "kernel shown")
            XCTAssertTrue(text.contains("cpu: proc"), "probe method by family shown")
            let header = try XCTUnwrap(text.range(of: "Load average"))
            let cells = try XCTUnwrap(text.range(of: "Cells by workload kind"))
            XCTAssertLessThan(header.lowerBound, cells.lowerBound, "the header is above the cells")
            XCTAssertTrue(
                text.contains("1 of these cells publish as fast as the broker takes messages"), "flood caption")
            XCTAssertFalse(text.contains("± ?"))
            XCTAssertTrue(
                text.contains("Figures without an interval: n=2 repetitions"), "two repetitions: no interval, said once"
            )
        }
        XCTAssertTrue(md.contains("### nats.pubsub (2 cells)\n\n| cell | msgs/s | p50-ns"), md)
        XCTAssertTrue(md.contains("### nats.request (1 cell)\n\n| cell | req/s | p50-ns"), md)
    }
}
