import Foundation
import SurgeResults
import SurgeTestKit
import XCTest

/// The shipped `Scenarios/smoke.yaml`, run as README command 1 runs it (2 repetitions, no probes, to keep
/// the test short): every cell against its own built-in component succeeds, measures its key metric,
/// and the report draws categorical throughput charts as dots.
final class SmokeScenarioTests: XCTestCase {
    func testTheShippedSmokeScenarioRunsEveryCellAgainstItsComponent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let dir = SurgeBinary.tempDir("surge-smoke")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try SurgeBinary.run(
            ["run", "\(root)/Scenarios/smoke.yaml", "--repetitions", "2", "--warmup", "100ms", "--probes", "none",
             "--out", "\(dir)/runs", "--report", "\(dir)/report", "-q"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        let json = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs").first { $0.hasSuffix(".json") })
        let run = try RunResultCodec.read(path: "\(dir)/runs/\(json)")
        XCTAssertEqual(run.cells.count, 9)
        let key: [String: String] = [
            "nats.pubsub": "msgs/s", "nats.request": "req/s", "http.closed": "req/s", "http.open": "req/s",
            "mesh.churn": "msgs/s", "nats.pipeline": "msgs/s", "micro": "ns/op",
        ]
        for c in run.cells {
            XCTAssertEqual(c.status, .ok, "\(c.name): \(c.reason ?? "")")
            let metric = try XCTUnwrap(key[c.workloadKind ?? ""], "\(c.name): kind \(c.workloadKind ?? "none")")
            XCTAssertEqual(c.samples.count, 2, c.name)
            XCTAssertTrue(c.samples.allSatisfy { ($0.metrics[metric] ?? 0) > 0 }, "\(c.name) measured \(metric)")
        }
        // The fixed-rate pub/sub cell delivers its offered rate (2000 msgs/s × 2 subscribers) within 10%.
        let paced = try XCTUnwrap(run.cells.first { $0.name.hasSuffix("workload=pubsub-rate") })
        XCTAssertEqual(paced.offeredRate, 2000)
        for s in paced.samples { XCTAssertEqual(s.metrics["msgs/s"] ?? 0, 4000, accuracy: 400, "\(s.metrics)") }
        let md = try String(contentsOfFile: "\(dir)/report/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("Fastest cell of the closed-loop"), "the headline compares like with like")
    }
}
