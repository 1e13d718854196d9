import Foundation
import SurgeResults
import XCTest

@testable import SurgeCompare

/// `surge calibrate`'s arithmetic and file, and how the gate uses a calibration.
final class CalibrationTests: XCTestCase {
    static func run(_ id: String, rate: Double, p99: Double = 1_000_000) -> RunResult {
        var run = RunResult(
            runID: id, startedAt: Date(timeIntervalSince1970: 1_790_000_000),
            scenario: ScenarioInfo(
                name: "smoke", file: "Scenarios/smoke.yaml", sha256: "ab", thresholds: ["msgs/s": "2%"]),
            source: nil,
            host: HostInfo(
                hostname: "h", cpuModel: "CPU", cores: 2, kernel: "6.1", loadAverage: [0, 0, 0], surgeVersion: "0.1.0",
                buildConfig: "release"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        var cell = CellResult(
            name: "BenchmarkSmoke/flush=batched", parameters: [CellParameter(name: "flush", value: "batched")])
        cell.keyMetrics = ["msgs/s": "5%", "p99-ns": "20%"]
        cell.samples = [0.99, 1.0, 1.01, 0.995, 1.005, 1.0].enumerated().map { i, f in
            Sample(
                repetition: i + 1, operations: 1000, elapsedSeconds: 1,
                metrics: ["msgs/s": rate * f, "ns/op": 1e9 / (rate * f), "p99-ns": p99 * f, "peak-RSS-B": 1e7])
        }
        run.cells = [cell]
        return run
    }

    func testNoiseDetectableAndThreshold() throws {
        let runs = [Self.run("r1", rate: 100_000), Self.run("r2", rate: 106_000), Self.run("r3", rate: 103_000)]
        let c = try NoiseCalibrator.calibrate(runs: runs, runFiles: ["a", "b", "c"])
        let e = try XCTUnwrap(c.entry(row: "Smoke/flush=batched", metric: "msgs/s"))
        XCTAssertEqual(e.noise, 0.06, accuracy: 1e-9, "largest change between run medians: 106k/100k - 1")
        // ±1% within a run: with 6 against 6 the U test needs the samples all but apart, about 2%.
        let detectable = try XCTUnwrap(e.detectable)
        XCTAssertGreaterThan(detectable, 0.005)
        XCTAssertLessThan(detectable, 0.05)
        let threshold = try XCTUnwrap(e.threshold)
        XCTAssertGreaterThanOrEqual(threshold, 1.25 * 0.06)
        XCTAssertEqual((threshold * 200).rounded(), threshold * 200, accuracy: 1e-9, "rounded to 0.5%")
        // Derived (ns/op restates msgs/s) and gauges get no entry; p99 (a key metric) gets a threshold.
        XCTAssertNil(c.entry(row: "Smoke/flush=batched", metric: "ns/op"))
        XCTAssertNil(c.entry(row: "Smoke/flush=batched", metric: "peak-RSS-B"))
        XCTAssertNotNil(c.entry(row: "Smoke/flush=batched", metric: "p99-ns")?.threshold)
    }

    func testTooFewRepetitionsCannotDetectAnything() {
        XCTAssertNil(NoiseCalibrator.detectableShift([1, 2, 3], alpha: 0.05), "3 against 3 never reaches p <= 0.05")
        XCTAssertNotNil(NoiseCalibrator.detectableShift([1, 1.01, 0.99, 1.02, 0.98, 1], alpha: 0.05))
    }

    func testFileRoundTripsAndBrokenFilesNameTheKey() throws {
        let c = try NoiseCalibrator.calibrate(
            runs: [Self.run("r1", rate: 100_000), Self.run("r2", rate: 104_000)], runFiles: ["x"])
        let back = try Calibration.parse(c.yaml(), path: "t.yaml")
        XCTAssertEqual(back.cells.keys.sorted(), c.cells.keys.sorted())
        let msgs = try XCTUnwrap(back.entry(row: "Smoke/flush=batched", metric: "msgs/s"))
        XCTAssertEqual(msgs.noise, 0.04, accuracy: 0.0005)
        XCTAssertThrowsError(try Calibration.parse("schema: surge.thresholds/v9\n", path: "t.yaml")) {
            XCTAssertTrue("\($0)".contains("t.yaml: unknown thresholds schema 'surge.thresholds/v9'"), "\($0)")
        }
        let bad = c.yaml().replacingOccurrences(of: "noise: 4%", with: "noise: four")
        XCTAssertThrowsError(try Calibration.parse(bad, path: "t.yaml")) {
            XCTAssertTrue("\($0)".contains("t.yaml: cells.Smoke/flush=batched.msgs/s.noise"), "\($0)")
        }
    }

    func testCalibrationOutranksTheScenarioAndSaysWhenAGateSitsBelowTheNoise() throws {
        let base = Self.run("b", rate: 100_000)
        let calibration = try NoiseCalibrator.calibrate(runs: [base, Self.run("r2", rate: 106_000)], runFiles: [])
        var request = ComparisonRequest()
        request.calibration = calibration
        request.calibrationPath = "smoke.thresholds.yaml"
        // 4% slower: beyond the scenario's 2%, inside the calibrated threshold (>= 7.5%).
        let slower = Self.run("n", rate: 96_000)
        let outcome = try ComparisonPipeline.compare(runs: [("old", base), ("new", slower)], request)
        let msgs = try XCTUnwrap(outcome.findings.first { $0.unit == "msgs/s" })
        XCTAssertEqual(msgs.thresholdSource, .calibration)
        XCTAssertFalse(msgs.isRegression)
        XCTAssertEqual(outcome.status, .ok)
        XCTAssertTrue(
            outcome.warnings.contains {
                $0.contains("the scenario's 2% threshold for msgs/s is below its noise floor")
            },
            "\(outcome.warnings)")
        // --threshold outranks the calibration, and is called out as below the noise floor.
        request.thresholds = [MetricThreshold(unit: "msgs/s", fraction: 0.03)]
        let forced = try ComparisonPipeline.compare(runs: [("old", base), ("new", slower)], request)
        XCTAssertEqual(forced.status, .regression)
        XCTAssertTrue(
            forced.warnings.contains { $0.contains("a 3% gate (--threshold) on msgs/s, which moves up to 6%") },
            "\(forced.warnings)")
    }
}
