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
        XCTAssertEqual(r.kind, .step)
        XCTAssertEqual(r.cell, "Fanout/publishers=4/flush=batched")
        XCTAssertEqual(r.unit, "msgs/s")
        XCTAssertEqual(r.firstAtNewLevel.runID, "run-12")
        // The culprit range holds c11..c12 and is bounded by runs surely before and after.
        let before = try XCTUnwrap(r.lastSurelyBefore)
        XCTAssertLessThanOrEqual(before.startedAt, runs[11].startedAt)
        XCTAssertGreaterThanOrEqual(r.firstSurelyAfter.startedAt, runs[12].startedAt)
        XCTAssertEqual(r.commitRange, "\(before.source!.commit)..\(r.firstSurelyAfter.source!.commit)")
        XCTAssertEqual(r.change.shift.estimate, -0.10, accuracy: 0.025)
        XCTAssertLessThan(r.change.shift.lower, r.change.shift.estimate)
        XCTAssertLessThanOrEqual(r.change.p, 0.001)
        XCTAssertTrue(report.improvements.isEmpty, "\(report.improvements.map { "\($0.cell) \($0.unit)" })")
        XCTAssertTrue(report.spreadChanges.isEmpty)
        XCTAssertNotNil(report.series[0].weekOverWeek)
    }

    func testFlagsNothingInANoChangeSeries() {
        for seed in [1, 2, 3, 4, 5] as [UInt64] {
            let report = WeeklyReport(runs: Self.history(seed: seed), now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
            let found = report.findings
            XCTAssertTrue(found.isEmpty, "seed \(seed): \(found.map { "\($0.cell) \($0.unit) \($0.change.shift) p=\($0.change.p)" })")
            XCTAssertTrue(report.series[0].weekOverWeek?.regressions.isEmpty ?? false)
        }
    }

    func testAnImprovementIsNotARegression() throws {
        let report = WeeklyReport(runs: Self.history(seed: 9, planted: 0.10), now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        XCTAssertTrue(report.regressions.isEmpty)
        XCTAssertEqual(report.improvements.map(\.firstAtNewLevel.runID), ["run-12"])
    }

    func testWeekOverWeekTestsThePerRunMedians() throws {
        let runs = Self.history(seed: 42, planted: -0.10)
        let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        let series = report.series[0]
        XCTAssertEqual(series.thisWeekRuns, 7)
        XCTAssertEqual(series.previousWeekRuns, 7)
        let w = try XCTUnwrap(series.weekOverWeek)
        XCTAssertEqual(Set(w.rows.map(\.unit)), ["msgs/s", "p99-ns"])
        // This week (runs 13…19) is all after the regression; the previous week (6…12) had one regressed run.
        XCTAssertEqual(w.regressions.map(\.cell), ["Fanout/publishers=4/flush=batched"])
        let row = try XCTUnwrap(w.regressions.first)
        // n is the number of runs, and p is Mann-Whitney's on their medians.
        XCTAssertEqual(row.previous.count, 7)
        XCTAssertEqual(row.current.count, 7)
        let medians = { (range: ClosedRange<Int>) in
            range.map { CellDigest(cell: runs[$0].cells.first { $0.name.hasSuffix("publishers=4/flush=batched") }!).summaries["msgs/s"]!.center }
        }
        XCTAssertEqual(row.previous, medians(6...12))
        XCTAssertEqual(row.p ?? 1, try MannWhitneyU(medians(6...12), medians(13...19)).p, accuracy: 1e-12)
        XCTAssertTrue(WeekOverWeek.verdictText(row).hasSuffix("n=7+7"), WeekOverWeek.verdictText(row))
    }

    /// The weekly page prints numbers as the run report does: three significant digits with an SI prefix
    /// for rates, and one unit for each duration metric across the page.
    func testTheWeeklyPageUsesTheRunReportsNumberFormat() throws {
        let report = WeeklyReport(runs: Self.history(seed: 42, planted: -0.10),
                                  now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        let rows = try XCTUnwrap(report.series[0].weekOverWeek?.rows)
        let md = WeeklyRenderer.markdown(report, chartLinks: [:], chartsNote: nil)
        let rate = try XCTUnwrap(rows.first { $0.unit == "msgs/s" })
        let expected = ColumnScale.prefixed(rate.currentMedian)
        XCTAssertEqual(expected.filter(\.isNumber).count, 3, expected)
        XCTAssertTrue(md.contains("| msgs/s | \(ColumnScale.prefixed(rate.previousMedian)) | \(expected) |"), md)
        let p99 = rows.filter { $0.unit == "p99-ns" }
        let scale = ColumnScale(metric: "p99-ns", values: p99.flatMap { [$0.previousMedian, $0.currentMedian] })
        let units = Set(md.split(separator: "\n").filter { $0.contains("| p99-ns |") }
            .compactMap { $0.split(separator: "|").dropFirst(2).first?.split(separator: " ").last.map(String.init) })
        XCTAssertEqual(units, [scale.headUnit], "one unit for p99-ns across the page")
    }

    func testRunToRunNoiseIsNotAWeekOverWeekRegression() {
        // 3% run-to-run noise, 1% within a run, the same true level: pooled repetitions made this
        // "significant"; per-run medians must not.
        for seed in 0..<10 {
            // Each seed its own generator (adjacent states of SplitMix64 would give one series shifted by a draw).
            var first = SplitMix64(seed: UInt64(seed) &+ 77)
            var g = SplitMix64(seed: first.next())
            let runs = (0..<14).map { i in
                let u = (Double(g.next() >> 11) + 1) / 9_007_199_254_740_993.0, v = Double(g.next() >> 11) / 9_007_199_254_740_992.0
                let noise = exp(0.03 * (-2 * log(u)).squareRoot() * cos(2 * .pi * v))
                return SyntheticRuns.run(id: "run-\(i)", at: Self.start + Double(i) * Self.day, commit: "c\(i)", seed: UInt64(seed * 100 + i),
                                         histograms: false) { p, f in Double(p) * (f == "batched" ? 2_000_000 : 1_000_000) * noise }
            }
            let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: Self.start + 13 * Self.day + 3600))
            let w = report.series[0].weekOverWeek
            XCTAssertEqual(w?.regressions.count, 0, "seed \(seed): \(w?.regressions.map { WeekOverWeek.verdictText($0) } ?? [])")
        }
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
        XCTAssertTrue(md.contains("1 run this week had failed cells"), md)
    }

    func testRunsOfDifferentHostsAreSeparateSeries() {
        var runs = Self.history(seed: 5)
        for i in 10..<20 { runs[i].host.cpuModel = "Other CPU" }
        let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        XCTAssertEqual(report.series.map(\.runs.count), [10, 10])
    }

    func testTheFindingsAsJSON() throws {
        let report = WeeklyReport(runs: Self.history(seed: 42, planted: -0.10), now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        let data = try WeeklyFindingsJSON(report).encoded()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["schema"] as? String, "surge.weekly/v1")
        XCTAssertTrue((object["method"] as? String ?? "").contains("permutation"))
        let findings = try XCTUnwrap(object["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.count, 1)
        let f = findings[0]
        XCTAssertEqual(f["scenario"] as? String, "fanout")
        XCTAssertEqual(f["cell"] as? String, "Fanout/publishers=4/flush=batched")
        XCTAssertEqual(f["metric"] as? String, "msgs/s")
        XCTAssertEqual(f["kind"] as? String, "step")
        XCTAssertEqual(f["direction"] as? String, "regression")
        XCTAssertEqual(f["firstRunAtNewLevel"] as? String, "run-12")
        XCTAssertEqual(f["commitRange"] as? String, report.regressions[0].commitRange)
        let change = try XCTUnwrap(f["change"] as? [String: Double])
        XCTAssertEqual(change["estimate"] ?? 0, -0.10, accuracy: 0.025)
        XCTAssertLessThan(change["lower"] ?? 0, change["upper"] ?? 0)
        XCTAssertLessThanOrEqual(f["p"] as? Double ?? 1, 0.001)
        let rows = try XCTUnwrap(object["weekOverWeek"] as? [[String: Any]])
        XCTAssertEqual(rows.filter { $0["verdict"] as? String == "regression" }.count, 1)
        XCTAssertEqual(rows.first?["previousRuns"] as? Int, 7)
    }

    func testChartsHaveTheirOwnScaleDatedTicksAndEveryMark() throws {
        var runs = Self.history(seed: 42, planted: -0.10)
        // One run of one cell 30% low: an outlier, crossed on the chart.
        for k in runs[5].cells.indices where runs[5].cells[k].name.hasSuffix("publishers=1/flush=immediate") {
            for j in runs[5].cells[k].samples.indices { runs[5].cells[k].samples[j].metrics["msgs/s"]! *= 0.7 }
        }
        let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: Self.start + 19 * Self.day + 3600))
        XCTAssertEqual(report.series[0].outliers["msgs/s"]?["Fanout/publishers=1/flush=immediate"], [5])
        let chart = try XCTUnwrap(report.charts.first { $0.id == "trend-0-msgs-s" })
        let script = chart.commands.joined(separator: "\n")
        // 2026-09-21 is the first day of the history (1_790_000_000 s): the year on the first tick only.
        let tics = try XCTUnwrap(chart.commands.first { $0.hasPrefix("set xtics (") })
        XCTAssertTrue(tics.hasPrefix("set xtics ('2026-09-22' "), tics)
        XCTAssertEqual(tics.components(separatedBy: "2026").count, 2, tics)
        // Each panel its own y label (the 1M and 8M cells in their own scale).
        XCTAssertEqual(chart.commands.filter { $0.hasPrefix("set ylabel '") }.count, 4)
        XCTAssertEqual(chart.commands.filter { $0.contains("lc rgb '#d62728' dt 2") }.count, 1, "the step's line")
        XCTAssertEqual(chart.commands.filter { $0.contains("rect from") }.count, 1, "the step's run range")
        XCTAssertTrue(script.contains("pt 2 ps 1.2 lc rgb '#d62728'"), "the outlier's cross")
        let written = try ReportWriter().write(report, to: FileManager.default.temporaryDirectory
            .appendingPathComponent("weekly-charts-\(ProcessInfo.processInfo.processIdentifier)").path)
        if let note = written.chartsNote, ProcessInfo.processInfo.environment["SURGE_REQUIRE_ALL"] == "1" {
            XCTFail("charts not drawn: \(note)")
        }
        if written.chartsNote == nil {
            let html = try String(contentsOfFile: written.htmlPath, encoding: .utf8)
            XCTAssertTrue(html.contains("<svg"), "gnuplot drew the charts")
            XCTAssertTrue(html.contains("Sep 2") || html.contains("2026-09-22"), "dated ticks")
            // The markdown links the SVG files gnuplot drew (no PNG is rasterised for the weekly page).
            let md = try String(contentsOfFile: written.markdownPath, encoding: .utf8)
            let charts = (written.markdownPath as NSString).deletingLastPathComponent + "/charts"
            let files = try FileManager.default.contentsOfDirectory(atPath: charts).sorted()
            XCTAssertEqual(files, report.charts.map { "\($0.id).svg" }.sorted())
            for file in files {
                XCTAssertTrue(md.contains("](charts/\(file))"), "report.md links \(file)")
                let text = try String(contentsOfFile: "\(charts)/\(file)", encoding: .utf8)
                XCTAssertTrue(text.contains("<svg") && text.contains("</svg>"), "\(file) is a whole SVG")
            }
        }
    }

    func testADriftIsReportedAsADriftAndDrawnAsABand() throws {
        var g = SplitMix64(seed: 31)
        let runs = (0..<40).map { i in
            let noise = 1 + (Double(g.next() % 1000) / 1000 - 0.5) * 0.03
            return SyntheticRuns.run(id: "run-\(i)", at: Self.start + Double(i) * Self.day, commit: "c\(i)", seed: UInt64(i), histograms: false) { p, f in
                Double(p) * (f == "batched" ? 2_000_000 : 1_000_000) * exp(-0.004 * Double(i)) * noise
            }
        }
        let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: Self.start + 39 * Self.day + 3600))
        let drifts = report.regressions.filter { $0.kind == .drift && $0.unit == "msgs/s" }
        XCTAssertEqual(drifts.count, 4, report.findings.map { "\($0.kind) \($0.cell) \($0.unit)" }.description)
        XCTAssertTrue(report.findings.allSatisfy { $0.kind == .drift }, "no steps cut out of the drift")
        let d = try XCTUnwrap(drifts.first)
        XCTAssertEqual(d.change.shift.estimate, exp(-0.004 * 39) - 1, accuracy: 0.02)
        XCTAssertEqual(d.change.perWeek?.estimate ?? 0, exp(-0.004 * 7) - 1, accuracy: 0.004)
        XCTAssertEqual(d.commitRange, "c0..c39")
        let chart = try XCTUnwrap(report.charts.first { $0.id == "trend-0-msgs-s" })
        XCTAssertEqual(chart.commands.filter { $0.contains(" polygon from ") }.count, 4, "one drift band per panel")
        XCTAssertTrue(WeeklyRenderer.markdown(report, chartLinks: [:], chartsNote: nil).contains("| msgs/s | drift -"))
    }
}
