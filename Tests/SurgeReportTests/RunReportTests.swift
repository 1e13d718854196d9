import Foundation
import SurgeResults
import SurgeStats
import XCTest
@testable import SurgeReport

/// Run reports built from synthetic result files: markdown against golden files, the files a report
/// directory holds with and without gnuplot.
final class RunReportTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    /// Baseline, and a run where publishers=4 flush=batched lost 12% throughput.
    static func pair() throws -> RunReport {
        let baseline = SyntheticRuns.run(id: "20261120T100000Z-fanout", at: 1_795_000_000, commit: "1111111111111111")
        var run = SyntheticRuns.run(id: "20261126T100000Z-fanout", at: 1_795_500_000, commit: "2222222222222222", seed: 2) { p, f in
            Double(p) * (f == "batched" ? 2_000_000 : 1_000_000) * (p == 4 && f == "batched" ? 0.88 : 1)
        }
        run.cells.append(CellResult(name: "BenchmarkFanout/publishers=8/flush=batched",
                                    parameters: [CellParameter(name: "publishers", value: "8"), CellParameter(name: "flush", value: "batched")],
                                    status: .failed, reason: "target exited with status 1 during repetition 2"))
        run.cells[4].targetStderr = ["fatal: out of file descriptors"]
        run.notes = ["syscall probe: no permission for eBPF; used perf counters"]
        return try RunReport(run: run, runPath: "Reports/runs/20261126T100000Z-fanout.json", baseline: baseline, baselinePath: "Reports/baselines/fanout.json")
    }

    func assertGolden(_ text: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["SURGE_UPDATE_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if text != expected {
            let a = text.split(separator: "\n", omittingEmptySubsequences: false)
            let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
            XCTFail("\(name) differs from the golden file (SURGE_UPDATE_GOLDEN=1 rewrites it) at line \((first?.offset ?? min(a.count, b.count)) + 1):\n got: \(first?.element.0 ?? "")\nwant: \(first?.element.1 ?? "")", file: file, line: line)
        }
    }

    func testMarkdownReportMatchesGolden() throws {
        let report = try Self.pair()
        let md = MarkdownReportRenderer.render(report, chartLinks: ["throughput-msgs-s": "charts/throughput-msgs-s.png"], chartsNote: nil)
        try assertGolden(md, "run-report.md")
    }

    func testMarkdownSummaryMatchesGolden() throws {
        try assertGolden(MarkdownReportRenderer.summary(try Self.pair()), "run-summary.md")
    }

    func testReportSeesTheRegressionWithItsThreshold() throws {
        let report = try Self.pair()
        let c = try XCTUnwrap(report.comparison)
        // sec/op restates msgs/s in a pub/sub cell: the one change is counted once, as msgs/s.
        XCTAssertEqual(c.regressions.map { "\($0.row) \($0.unit)" }.sorted(), ["Fanout/publishers=4/flush=batched msgs/s"])
        let secPerOp = c.findings.first { $0.row == "Fanout/publishers=4/flush=batched" && $0.unit == "sec/op" }
        XCTAssertEqual(secPerOp?.role, .derived(from: "msgs/s"))
        XCTAssertEqual(c.exitStatus, 2)
        XCTAssertEqual(report.fastestCell?.cell.label, "publishers=4 flush=batched")
        let text = report.findingText(c.regressions.first { $0.unit == "msgs/s" }!)
        XCTAssertTrue(text.hasPrefix("publishers=4 flush=batched msgs/s -1"), text)
        let change = try XCTUnwrap(c.regressions.first { $0.unit == "msgs/s" }?.change)
        XCTAssertEqual(change, -0.12, accuracy: 0.005)
        XCTAssertTrue(text.contains("threshold 3%"), text)
    }

    func testWithoutGnuplotTheReportIsWrittenAndSaysWhy() throws {
        let out = dir.appendingPathComponent("report").path
        let writer = ReportWriter(gnuplot: GnuplotRenderer(executable: "/nonexistent/bin/gnuplot"))
        let written = try writer.write(try Self.pair(), to: out)
        XCTAssertEqual(written.chartCount, 0)
        let html = try String(contentsOfFile: written.htmlPath, encoding: .utf8)
        let md = try String(contentsOfFile: written.markdownPath, encoding: .utf8)
        XCTAssertTrue(md.contains("gnuplot was not found (looked for '/nonexistent/bin/gnuplot')"), md)
        XCTAssertTrue(html.contains("gnuplot was not found (looked for &#39;/nonexistent/bin/gnuplot&#39;)"))
        XCTAssertTrue(md.contains("# Surge report: fanout"))
        XCTAssertTrue(html.contains("<h1>Surge report: fanout</h1>"))
        XCTAssertFalse(html.contains("<svg"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/charts/throughput-msgs-s.png"))
    }

    func testWithGnuplotEveryChartIsDrawnInBothFormats() throws {
        let gnuplot = GnuplotRenderer()
        guard gnuplot.resolvedExecutable() != nil else { throw XCTSkip("gnuplot is not installed (Debian package gnuplot-nox)") }
        let baseline = SyntheticRuns.run(id: "base", at: 1_795_000_000, commit: "1111", probes: true)
        let run = SyntheticRuns.run(id: "new", at: 1_795_500_000, commit: "2222", seed: 3, probes: true)
        let report = try RunReport(run: run, runPath: "new.json", baseline: baseline, baselinePath: "base.json")
        let ids = report.charts.map(\.id)
        XCTAssertTrue(ids.contains("throughput-msgs-s"))
        XCTAssertTrue(ids.contains("syscalls-per-op"))
        XCTAssertTrue(ids.contains("per-cell-allocs-op"))
        XCTAssertTrue(ids.contains("before-after-msgs-s"))
        XCTAssertEqual(ids.filter { $0.hasPrefix("latency-") }.count, 4)
        let out = dir.appendingPathComponent("report").path
        let written = try ReportWriter(gnuplot: gnuplot).write(report, to: out)
        if let keep = ProcessInfo.processInfo.environment["SURGE_KEEP_REPORT"] {
            // For looking at the page by hand: SURGE_KEEP_REPORT=/tmp/x swift test --filter …
            _ = try ReportWriter(gnuplot: gnuplot).write(try Self.pair(), to: keep)
        }
        XCTAssertNil(written.chartsNote)
        XCTAssertEqual(written.chartCount, report.charts.count)
        for id in ids {
            let png = try Data(contentsOf: URL(fileURLWithPath: "\(out)/charts/\(id).png"))
            XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(id).png is a PNG")
            XCTAssertGreaterThan(png.count, 2000)
        }
        let html = try String(contentsOfFile: written.htmlPath, encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, report.charts.count)
        XCTAssertFalse(html.contains("<?xml"), "SVG inlined without its XML prolog")
        XCTAssertTrue(html.contains("<title>Throughput (msgs/s) against publishers</title>"))
    }

    func testLatencySpectrumReadsPercentilesFromTheHistograms() throws {
        let run = SyntheticRuns.run(id: "r", at: 1_795_000_000, commit: "1")
        let spectrum = try XCTUnwrap(CellDigest(cell: run.cells[0]).spectrum)
        XCTAssertEqual(spectrum.total, 12_000)
        XCTAssertEqual(Double(spectrum.value(atPercentile: 0.5)), 20_000, accuracy: 400)
        XCTAssertEqual(Double(spectrum.value(atPercentile: 0.99)), 90_000, accuracy: 2_000)
        let curve = spectrum.curve()
        XCTAssertEqual(curve.first?.nines ?? 0, log10(2), accuracy: 1e-9)
        XCTAssertEqual(curve.last?.nines ?? 0, log10(12_000), accuracy: 1e-9)
        XCTAssertTrue(zip(curve, curve.dropFirst()).allSatisfy { $0.value <= $1.value }, "latency never falls as the percentile rises")
    }

    func testMarkdownEscapesValuesFromResults() throws {
        var run = SyntheticRuns.run(id: "r", at: 1_795_000_000, commit: "1")
        run.cells[0].parameters[1].value = "<img src=x onerror=alert(1)>|*x*"
        let md = MarkdownReportRenderer.render(try RunReport(run: run, runPath: nil), chartLinks: [:], chartsNote: nil)
        XCTAssertFalse(md.contains("<img"))
        XCTAssertTrue(md.contains("&lt;img src=x onerror=alert(1)&gt;\\|\\*x\\*"), md)
    }
}
