import Foundation
import SurgeResults
import SurgeStats
import XCTest
@testable import SurgeReport

/// Weekly aggregation on synthetic histories with known changes.
final class WeeklyReportTests: XCTestCase {
    static let day = 86400.0
    static let start = 1_790_000_000.0

    /// 20 daily runs; run-to-run drift of up to ±1.5% on every cell; `planted` changes one cell from run 12 on.
    static func history(seed: UInt64, planted: Double? = nil) -> [RunResult] {
        var drift = SplitMix64(seed: seed &* 7919)
        return (0..<20).map { i in
            let runDrift = (Double(drift.next() % 1000) / 1000 - 0.5) * 0.03
            return SyntheticRuns.run(id: "run-\(i)", at: start + Double(i) * day, commit: "c\(i)", seed: seed &+ UInt64(i), histograms: false) { p, f in
                var base = Double(p) * (f == "batched" ? 2_000_000 : 1_000_000) * (1 + runDrift)
                if let planted, i >= 12, p == 4, f == "batched" { base *= 1 + planted }
                return base
            }
        }
    }

    func testFindsAPlantedTenPercentRegressionAtTheRightRun() throws {
        let runs = Self.history(seed: 42, planted: -0.10)
        let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        XCTAssertEqual(report.series.count, 1)
        XCTAssertEqual(report.series[0].keyUnits, ["msgs/s", "p99-ns"])
        let regressions = report.regressions
        XCTAssertEqual(regressions.count, 1, "\(regressions.map { "\($0.cell) \($0.unit) at \($0.change.index)" })")
        let r = try XCTUnwrap(regressions.first)
        XCTAssertEqual(r.cell, "Fanout/publishers=4/flush=batched")
        XCTAssertEqual(r.unit, "msgs/s")
        XCTAssertEqual(r.firstAfter.runID, "run-12")
        XCTAssertEqual(r.lastBefore.runID, "run-11")
        XCTAssertEqual(r.commitRange, "c11..c12")
        XCTAssertEqual(r.change.relativeShift, -0.10, accuracy: 0.025)
        XCTAssertLessThanOrEqual(r.change.p, 0.05)
        XCTAssertTrue(report.improvements.isEmpty, "\(report.improvements.map { "\($0.cell) \($0.unit)" })")
        XCTAssertNotNil(report.series[0].weekOverWeek)
    }

    func testFlagsNothingInANoChangeSeries() {
        for seed in [1, 2, 3, 4, 5] as [UInt64] {
            let report = WeeklyReport(runs: Self.history(seed: seed), now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
            let found = report.series.flatMap(\.findings)
            XCTAssertTrue(found.isEmpty, "seed \(seed): \(found.map { "\($0.cell) \($0.unit) \($0.change.relativeShift) p=\($0.change.p)" })")
        }
    }

    func testAnImprovementIsNotARegression() throws {
        let report = WeeklyReport(runs: Self.history(seed: 9, planted: 0.10), now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        XCTAssertTrue(report.regressions.isEmpty)
        XCTAssertEqual(report.improvements.map(\.firstAfter.runID), ["run-12"])
    }

    func testWeekOverWeekUsesTheCompareEngineOnEachWeeksRuns() throws {
        let runs = Self.history(seed: 42, planted: -0.10)
        let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        let series = report.series[0]
        XCTAssertEqual(series.thisWeekRuns, 7)
        XCTAssertEqual(series.previousWeekRuns, 7)
        let c = try XCTUnwrap(series.weekOverWeek)
        XCTAssertEqual(Set(c.tables.tables.map(\.unit)), ["msgs/s", "p99-sec"])
        // This week (runs 13…19) is all after the regression; the previous week (6…12) had one regressed run.
        let regressed = c.regressions.map(\.row)
        XCTAssertEqual(regressed, ["Fanout/publishers=4/flush=batched"])
    }

    func testFailedRunsOfTheWeekAreListed() {
        var runs = Self.history(seed: 3)
        runs[18].cells[1].status = .failed
        runs[18].cells[1].reason = "target exited with status 2"
        runs[18].cells[1].samples = []
        runs[2].cells[0].status = .failed
        let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        XCTAssertEqual(report.failedRuns.map(\.runID), ["run-18"], "only this week's failures")
        let md = WeeklyRenderer.markdown(report, chartLinks: [:], chartsNote: nil)
        XCTAssertTrue(md.contains("| run-18 | fanout | c18 | publishers=1 flush=batched | failed | target exited with status 2 |"), md)
    }

    func testRunsOfDifferentHostsAreSeparateSeries() {
        var runs = Self.history(seed: 5)
        for i in 10..<20 { runs[i].host.cpuModel = "Other CPU" }
        let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        XCTAssertEqual(report.series.map(\.runs.count), [10, 10])
    }
}

final class ChangePointDetectorTests: XCTestCase {
    func testStepIsFoundAtItsFirstValue() {
        let xs = [10.0, 10.2, 9.9, 10.1, 10.0, 9.8, 10.1, 11.5, 11.4, 11.6, 11.5, 11.3]
        let cps = ChangePointDetector().detect(xs)
        XCTAssertEqual(cps.map(\.index), [7])
        XCTAssertEqual(cps.first?.before ?? 0, 10.0, accuracy: 0.11)
        XCTAssertEqual(cps.first?.after ?? 0, 11.5, accuracy: 0.11)
    }

    func testTwoStepsAreBothFound() {
        let wobble: [Double] = (0..<8).map { Double($0 % 3) }
        let xs: [Double] = wobble.map { $0 + 100 } + wobble.map { $0 + 120 } + wobble.map { $0 + 90 }
        XCTAssertEqual(ChangePointDetector().detect(xs).map(\.index), [8, 16])
    }

    func testOneWildRunIsNotAChange() {
        var xs = (0..<16).map { 100 + Double($0 % 4) * 0.5 }
        xs[9] = 300
        XCTAssertEqual(ChangePointDetector().detect(xs).map(\.index), [])
    }

    func testAnswerIsReproducible() {
        let xs = [5.0, 5.1, 4.9, 5.0, 5.6, 5.7, 5.5, 5.6]
        XCTAssertEqual(ChangePointDetector().detect(xs), ChangePointDetector().detect(xs))
    }
}
