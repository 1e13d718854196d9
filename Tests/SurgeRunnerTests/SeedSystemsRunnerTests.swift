import Foundation
import SurgeResults
import SurgeRunner
import SurgeScenario
import SurgeTestKit
import XCTest

/// The runner with the stream processor, the router and the command workload: real `surge serve`
/// children, real probes.
final class SeedSystemsRunnerTests: XCTestCase {
    private func run(_ yaml: String, probes: [String]? = nil) async throws -> RunResult {
        try await RunnerTestSupport.runSeed(yaml, probes: probes)
    }

    /// The calibration op makes exactly one heap allocation per operation; the window holds exactly
    /// the N operations, so the preload counter must report 1 allocs/op, not 1.0001.
    func testMicroCalibrationOpReportsExactAllocations() async throws {
        let library = URL(fileURLWithPath: try RunnerTestSupport.requireSurge()).deletingLastPathComponent()
            .appendingPathComponent("libSurgeAllocCounter.so").path
        guard FileManager.default.isReadableFile(atPath: library) else {
            try requireOrSkip("libSurgeAllocCounter.so is not built next to the tests; run `swift run surge probe --preload-library` first")
        }
        let result = try await run("""
            name: micro-calibration
            target: { component: router, options: { micro: "{op}" } }
            workload: { kind: micro, iterations: 5000, warmup-batch: 500 }
            matrix: { op: [calibrate, match-static] }
            warmup: 100ms
            repetitions: 2
            """, probes: ["allocations"])
        let calibrate = try XCTUnwrap(result.cells.first)
        XCTAssertEqual(calibrate.status, .ok, calibrate.reason ?? "")
        for s in calibrate.samples {
            XCTAssertEqual(s.operations, 5000)
            XCTAssertEqual(s.metrics["allocs/op"], 1, "repetition \(s.repetition): \(s.metrics)")
            XCTAssertGreaterThan(s.metrics["B/op"] ?? 0, 0)
            XCTAssertGreaterThan(s.metrics["ns/op"] ?? 0, 0)
        }
        XCTAssertEqual(result.cells.last?.status, .ok, result.cells.last?.reason ?? "")
    }

    /// `target: { component: stream }` without a broker: the runner starts a broker beside it.
    func testStreamProcessorWithItsBrokerThroughThePipelineWorkload() async throws {
        let result = try await run("""
            name: stream-two-process
            target: { component: stream, options: { mappings: "preset:dynamic", pooling: "{pooling}" } }
            workload: { kind: nats.pipeline, messages: 2000, drop-every: 4 }
            matrix: { pooling: [on, off] }
            warmup: 100ms
            repetitions: 2
            """)
        XCTAssertEqual(result.cells.count, 2)
        for cell in result.cells {
            XCTAssertEqual(cell.status, .ok, "\(cell.name): \(cell.reason ?? "") \(cell.targetStderr ?? [])")
            for s in cell.samples {
                XCTAssertEqual(s.operations, 2000)
                XCTAssertEqual(s.targetCounters?["msgs_in"], 2000, "the counters are the processor's")
                XCTAssertEqual(s.targetCounters?["dropped_by_filter"], 500)
                XCTAssertNotNil(s.metrics["p95-ns"])
            }
        }
    }

    /// No `target:` for a command workload: the command is run per repetition and its output is the sample.
    func testCommandWorkloadNeedsNoTarget() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { try requireOrSkip("python3 is not installed") }
        let result = try await run("""
            name: command-only
            workload:
              kind: command
              command: ["/usr/bin/python3", "-c", "import json, os; print(json.dumps(dict(name='x', metric='ns/op', value=int(os.environ['V']))))"]
              env: { V: "{v}" }
            matrix: { v: [5, 7] }
            warmup: 0
            repetitions: 2
            """)
        XCTAssertEqual(result.target.kind, "none")
        XCTAssertEqual(result.cells.map(\.status), [.ok, .ok], "\(result.cells.map(\.reason))")
        XCTAssertEqual(result.cells.map { $0.samples.map { $0.metrics["ns/op"] } }, [[5, 5], [7, 7]])
    }
}
