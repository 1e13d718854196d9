import Foundation
import SurgeResults
import SurgeStats
import XCTest
@testable import SurgeReport

/// The run report's charts as a reader sees them: dots for categorical axes and lines for numeric ones,
/// one latency unit per page, a shared y range within a workload kind, and no stale PNGs after a rewrite.
final class RunChartsTests: XCTestCase {
    func chart(_ report: RunReport, _ id: String, file: StaticString = #filePath, line: UInt = #line)
        throws -> ChartSpec
    {
        try XCTUnwrap(report.charts.first { $0.id == id }, "no chart \(id) among \(report.charts.map(\.id))",
                      file: file, line: line)
    }

    func plotLine(_ c: ChartSpec) -> String { c.commands.first { $0.hasPrefix("plot ") } ?? "" }

    func testACategoricalAxisIsDrawnAsDotsAndANumericOneAsLines() throws {
        // flush (immediate, batched) varies most: categorical.
        let categorical = SyntheticRuns.run(id: "c", at: 1_795_000_000, commit: "1",
                                            flushValues: ["immediate", "batched", "never"])
        let dots = try chart(try RunReport(run: categorical, runPath: "c.json"), "throughput-msgs-s")
        XCTAssertTrue(dots.commands.contains("set xlabel 'flush'"), "\(dots.commands)")
        XCTAssertTrue(plotLine(dots).contains("with yerrorbars pt 7"), plotLine(dots))
        XCTAssertFalse(plotLine(dots).contains("yerrorlines"), plotLine(dots))
        XCTAssertTrue(dots.caption.contains("flush is categorical: one dot per cell, no lines"), dots.caption)

        // publishers (1, 4) varies most when flush has one value: numeric.
        let numeric = SyntheticRuns.run(id: "n", at: 1_795_000_000, commit: "1", flushValues: ["immediate"])
        let lines = try chart(try RunReport(run: numeric, runPath: "n.json"), "throughput-msgs-s")
        XCTAssertTrue(lines.commands.contains("set xlabel 'publishers'"), "\(lines.commands)")
        XCTAssertTrue(plotLine(lines).contains("with yerrorlines"), plotLine(lines))
    }

    /// Two cells at ~20 µs and two at ~40 ms: one unit on every latency chart, and per workload kind a
    /// y range that holds that kind's curves.
    func testLatencyChartsShareOneUnitAndAYRangePerWorkloadKind() throws {
        var run = SyntheticRuns.run(id: "l", at: 1_795_000_000, commit: "1")
        var rng = SplitMix64(seed: 9)
        for i in run.cells.indices {
            let slow = run.cells[i].parameters.contains { $0.name == "publishers" && $0.value == "4" }
            run.cells[i].workloadKind = slow ? "nats.request" : "nats.pubsub"
            guard slow else { continue }
            for s in run.cells[i].samples.indices {
                run.cells[i].samples[s].latencyHistogram = SyntheticRuns.histogram(
                    median: 40_000_000, p99: 90_000_000, rng: &rng)
            }
        }
        let report = try RunReport(run: run, runPath: "l.json")
        let latency = report.charts.filter { $0.id.hasPrefix("latency-") }
        XCTAssertEqual(latency.count, 4)
        let ylabels = Set(latency.compactMap { $0.commands.first { $0.hasPrefix("set ylabel") } })
        XCTAssertEqual(ylabels, ["set ylabel 'latency (ms)'"], "one unit for every latency chart, the largest median's")
        func yrange(_ c: ChartSpec) -> String? { c.commands.first { $0.hasPrefix("set yrange") } }
        let fast = latency.filter { $0.title.contains("publishers=1") }
        let slow = latency.filter { $0.title.contains("publishers=4") }
        XCTAssertEqual(fast.count, 2)
        XCTAssertEqual(slow.count, 2)
        XCTAssertNotNil(yrange(fast[0]))
        XCTAssertEqual(yrange(fast[0]), yrange(fast[1]), "cells of one kind share a range")
        XCTAssertEqual(yrange(slow[0]), yrange(slow[1]))
        XCTAssertNotEqual(yrange(fast[0]), yrange(slow[0]), "the slow kind's range does not squash the fast one's")
        // The fast range holds ~0.02 ms, not ~40 ms.
        let bounds = try XCTUnwrap(yrange(fast[0])).dropFirst("set yrange [".count).dropLast().split(separator: ":")
        XCTAssertLessThan(Double(bounds[1])!, 1, "\(bounds)")
        XCTAssertTrue(fast[0].commands.contains { $0.hasPrefix("set ytics (") && $0.contains("'0.02' 0.02") },
                      "\(fast[0].commands)")
        XCTAssertTrue(fast[0].caption.contains("Same y axis as the 1 other closed-loop nats.pubsub cell."),
                      fast[0].caption)
    }

    func testLogTicsArePlainDecimals() {
        XCTAssertEqual(ChartSpec.logTics(from: 0.15, to: 12),
                       "set ytics ('0.2' 0.2, '0.5' 0.5, '1' 1, '2' 2, '5' 5, '10' 10)")
        XCTAssertEqual(ChartSpec.logTics(from: 300, to: 2_000_000),
                       "set ytics ('1000' 1000, '10000' 10000, '100000' 100000, '1000000' 1e+06)")
        XCTAssertEqual(ChartSpec.logTics(from: 0, to: 5), "set ytics auto")
        XCTAssertEqual(ChartSpec.logTics(from: 0.25, to: 0.7),
                       "set ytics ('0.3' 0.3, '0.4' 0.4, '0.5' 0.5, '0.6' 0.6, '0.7' 0.7)")
        XCTAssertEqual(ChartSpec.logTics(from: 420, to: 650),
                       "set ytics ('450' 450, '500' 500, '550' 550, '600' 600, '650' 650)")
        XCTAssertEqual(ChartSpec.logTics(from: 1.02, to: 1.09),
                       "set ytics ('1.02' 1.02, '1.04' 1.04, '1.06' 1.06, '1.08' 1.08)")
    }

    func testAllocationBarsSayWhichIntervalTheirWhiskersShow() throws {
        var run = SyntheticRuns.run(id: "a", at: 1_795_000_000, commit: "1", probes: true)
        // Five repetitions at 3 allocations and one at 7: the median is the lowest count.
        for s in run.cells[0].samples.indices { run.cells[0].samples[s].metrics["allocs/op"] = s == 5 ? 7 : 3 }
        let bars = try chart(try RunReport(run: run, runPath: "a.json"), "per-cell-allocs-op")
        XCTAssertTrue(bars.caption.contains("whiskers: 95% CI of the median"), bars.caption)
        XCTAssertTrue(bars.caption.contains("A whisker only above a bar: the lowest count is the median"), bars.caption)
    }

    /// A rewrite without a baseline removes the before/after PNGs the first write drew.
    func testARewriteRemovesChartsItNoLongerDraws() throws {
        let gnuplot = GnuplotRenderer()
        guard gnuplot.resolvedExecutable() != nil else {
            throw XCTSkip("gnuplot is not installed (Debian package gnuplot-nox)")
        }
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("surge-charts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let baseline = SyntheticRuns.run(id: "base", at: 1_795_000_000, commit: "1111")
        let run = SyntheticRuns.run(id: "new", at: 1_795_500_000, commit: "2222", seed: 3)
        let writer = ReportWriter(gnuplot: gnuplot)
        let report = try RunReport(run: run, runPath: "n.json", baseline: baseline, baselinePath: "b.json")
        _ = try writer.write(report, to: dir)
        let before = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/charts")
        XCTAssertTrue(before.contains("before-after-msgs-s.png"), "\(before)")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: "\(dir)/charts/notes.txt"))
        _ = try writer.write(try RunReport(run: run, runPath: "n.json"), to: dir)
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/charts"))
        XCTAssertFalse(after.contains { $0.hasPrefix("before-after-") }, "\(after.sorted())")
        XCTAssertTrue(after.contains("throughput-msgs-s.png"))
        XCTAssertTrue(after.contains("notes.txt"), "files Surge did not draw stay")
        let markdown = try String(contentsOfFile: "\(dir)/report.md", encoding: .utf8)
        for png in after where png.hasSuffix(".png") {
            XCTAssertTrue(markdown.contains("charts/\(png)"), "report.md links \(png)")
        }
    }
}
