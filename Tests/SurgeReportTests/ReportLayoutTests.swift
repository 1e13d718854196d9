import Foundation
import SurgeResults
import SurgeStats
import XCTest

@testable import SurgeReport

/// The layout of a run report (issue 19): the header at the top with host, load before and after,
/// kernel, version, commit and probe methods by family; noise warnings; one key-metrics table per
/// workload kind; one number format per class of metric; no `± ?`.
final class ReportLayoutTests: XCTestCase {
    static let rss = 12.5 * 1_048_576

    /// Two pub/sub cells (closed loop) and two request cells, 6 repetitions, the metrics a probed
    /// smoke run records. `p99Spread` is the relative spread of the pub/sub cells' p99.
    static func run(
        load: [Double] = [0.4, 0.3, 0.2], loadAfter: [Double]? = [0.6, 0.4, 0.3], cores: Int = 2,
        p99Spread: Double = 0.02, rate: Double? = nil
    ) -> RunResult {
        let host = HostInfo(
            hostname: "ci-1", cpuModel: "Test CPU", cores: cores, kernel: "6.12.0-test", loadAverage: load,
            loadAverageAfter: loadAfter, surgeVersion: "0.3.0", buildConfig: "release")
        var run = RunResult(
            runID: "20261202T100000Z-layout", startedAt: Date(timeIntervalSince1970: 1_796_000_000),
            scenario: ScenarioInfo(
                name: "layout", file: "Scenarios/layout.yaml", sha256: "0123456789abcdef", description: "two kinds"),
            source: SourceInfo(commit: "feedfacefeedfacefeedfacefeedfacefeedface", dirty: false), host: host,
            target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        run.finishedAt = Date(timeIntervalSince1970: 1_796_000_030)
        let offsets = [-1.0, -0.6, -0.2, 0.2, 0.6, 1.0]
        for (kind, throughput) in [("nats.pubsub", "msgs/s"), ("nats.request", "req/s")] {
            for flush in ["immediate", "batched"] {
                // p99: 78 ms for a flood with immediate flush, 900 µs otherwise: one column, one unit.
                let p99 = kind == "nats.pubsub" && flush == "immediate" ? 78_000_000.0 : 900_000
                let spread = kind == "nats.pubsub" ? p99Spread : 0.02
                let samples = offsets.enumerated().map { i, o -> Sample in
                    let metrics: [String: Double] = [
                        throughput: 268_000 * (1 + o * 0.01), "p50-ns": p99 / 3 * (1 + o * 0.01),
                        "p99-ns": p99 * (1 + o * spread),
                        "cpu-ns/op": 2_400 * (1 + o * 0.01), "syscalls/op": 0.52 * (1 + o * 0.01), "allocs/op": 3,
                        "ctxsw/op": 0.000162 * (1 + o * 0.01), "threads": 6, "peak-RSS-B": rss,
                        "page-faults/op": i == 5 ? 0.0003 : 0, "ns/op": 3_731 * (1 + o * 0.01),
                    ]
                    return Sample(repetition: i + 1, operations: 10_000, elapsedSeconds: 0.3, metrics: metrics)
                }
                var cell = CellResult(
                    name: "BenchmarkLayout/workload=\(kind)/flush=\(flush)",
                    parameters: [
                        CellParameter(name: "workload", value: kind), CellParameter(name: "flush", value: flush),
                    ],
                    samples: samples)
                cell.workloadKind = kind
                cell.offeredRate = kind == "nats.pubsub" ? rate : nil
                cell.probeMethods = [
                    "syscalls/op": "bpf", "allocs/op": flush == "batched" ? "uprobe (profile pass)" : "preload",
                    "cpu-ns/op": "proc", "peak-RSS-B": "proc", "ctxsw/op": "perf", "msgs/s": "driver",
                ]
                run.cells.append(cell)
            }
        }
        return run
    }

    func render(_ run: RunResult) throws -> (html: String, md: String, report: RunReport) {
        let report = try RunReport(run: run, runPath: "runs/layout.json")
        return (
            HTMLReportRenderer.render(report, svg: [:], chartsNote: nil),
            MarkdownReportRenderer.render(report, chartLinks: [:], chartsNote: nil), report
        )
    }

    func testHeaderComesFirstWithHostLoadKernelVersionCommitAndProbeFamilies() throws {
        let (html, md, report) = try render(Self.run())
        let facts = Dictionary(uniqueKeysWithValues: report.header.facts.map { ($0.label, $0.value) })
        XCTAssertEqual(facts["Scenario"], "layout — two kinds")
        XCTAssertEqual(facts["Host"], "ci-1: Test CPU, 2 cores")
        XCTAssertEqual(facts["Load average"], "before 0.40 0.30 0.20; after 0.60 0.40 0.30 (1, 5, 15 min)")
        XCTAssertEqual(facts["Kernel"], "6.12.0-test")
        XCTAssertEqual(facts["Surge"], "0.3.0 (release build)")
        XCTAssertEqual(facts["Commit"], "feedfacefeedfacefeedfacefeedfacefeedface")
        XCTAssertEqual(
            facts["Probes"],
            "syscalls: bpf · allocations: preload (2 cells), uprobe (profile pass) (2 cells) · "
                + "cpu: proc · memory: proc · context switches: perf")
        // At the top: before the first cell table, in both pages.
        for text in [html, md] {
            let host = try XCTUnwrap(text.range(of: "ci-1: Test CPU, 2 cores"))
            let cells = try XCTUnwrap(text.range(of: "Cells by workload kind"))
            XCTAssertLessThan(host.lowerBound, cells.lowerBound)
            XCTAssertTrue(text.contains("after 0.60 0.40 0.30"))
        }
        XCTAssertFalse(
            report.metadata.contains { $0.0 == "Host" }, "the host is in the header, not repeated at the bottom")
    }

    func testAnOldResultWithoutLoadAfterSaysNotRecorded() throws {
        let report = try RunReport(run: Self.run(loadAfter: nil), runPath: nil)
        XCTAssertEqual(
            report.header.facts.first { $0.label == "Load average" }?.value,
            "before 0.40 0.30 0.20; after not recorded (1, 5, 15 min)")
    }

    func testLoadAboveTheCoresIsAWarningAndAQuietRunHasNone() throws {
        let quiet = try render(Self.run())
        XCTAssertEqual(quiet.report.header.warnings, [])
        XCTAssertFalse(quiet.html.contains("class=\"warning\""))
        XCTAssertFalse(quiet.md.contains("⚠️"))

        let busy = try render(Self.run(load: [3.8, 2.0, 1.0], loadAfter: [1.2, 1.5, 1.0]))
        let warning = try XCTUnwrap(busy.report.header.warnings.first)
        XCTAssertTrue(warning.hasPrefix("Load average 3.80 before the run and 1.20 after it on 2 cores"), warning)
        XCTAssertTrue(busy.html.contains("<div class=\"warning\">⚠ Load average 3.80"), "the warning is shown")
        XCTAssertTrue(busy.md.contains("> ⚠️ **Load average 3.80"))
        // Only the load after the run too high counts as well.
        let after = try RunReport(run: Self.run(load: [0.5, 0.5, 0.5], loadAfter: [2.5, 1.0, 0.5]), runPath: nil)
        XCTAssertEqual(after.header.warnings.count, 1)
        XCTAssertTrue(
            after.header.warnings[0].hasPrefix("Load average 0.50 before the run and 2.50 after it"),
            after.header.warnings[0])
    }

    func testAKeyMetricWithAWideIntervalIsNamedWithItsCell() throws {
        let report = try RunReport(run: Self.run(p99Spread: 0.5), runPath: nil)
        let warning = try XCTUnwrap(report.header.warnings.first { $0.hasPrefix("Wide intervals") })
        // p99 values ±50% around the median: the interval at n=6 runs from the first to the last value.
        XCTAssertTrue(warning.contains("workload=nats.pubsub flush=immediate: p99-ns ±50%"), warning)
        XCTAssertTrue(warning.contains("workload=nats.pubsub flush=batched: p99-ns ±50%"), warning)
        XCTAssertFalse(warning.contains("nats.request"), "the request cells' intervals are narrow: \(warning)")
    }

    func testOneKeyMetricsTablePerKindAndTheRestFolded() throws {
        let (html, md, report) = try render(Self.run())
        let groups = report.cellTables.groups
        XCTAssertEqual(groups.map(\.kind), ["nats.pubsub", "nats.request"])
        XCTAssertEqual(groups[0].keyUnits, ["msgs/s", "p50-ns", "p99-ns", "cpu-ns/op", "syscalls/op", "allocs/op"])
        XCTAssertEqual(groups[1].keyUnits, ["req/s", "p50-ns", "p99-ns", "cpu-ns/op", "syscalls/op", "allocs/op"])
        XCTAssertEqual(Set(groups[0].otherUnits), ["ns/op", "ctxsw/op", "peak-RSS-B", "page-faults/op", "threads"])
        XCTAssertTrue(
            md.contains("| cell | msgs/s | p50-ns (µs) | p99-ns (µs) | cpu-ns/op (µs) | syscalls/op | allocs/op |"), md)
        XCTAssertTrue(md.contains("<details><summary>5 more metrics of these cells</summary>"))
        XCTAssertEqual(html.components(separatedBy: "<table class=\"cells\">").count - 1, 2, "one key table per kind")
        XCTAssertEqual(html.components(separatedBy: "<details class=\"others\">").count - 1, 2)
    }

    func testClosedLoopFloodLatencyIsCaptionedAndARateLimitedOneIsNot() throws {
        let flood = try RunReport(run: Self.run(), runPath: nil)
        let caption = try XCTUnwrap(flood.cellTables.groups[0].caption)
        XCTAssertTrue(caption.contains("queueing time under saturation"), caption)
        XCTAssertTrue(caption.contains("`rate:`"), caption)
        XCTAssertNil(flood.cellTables.groups[1].caption, "request cells are not a flood")
        let paced = try RunReport(run: Self.run(rate: 2000), runPath: nil)
        XCTAssertEqual(
            paced.cellTables.groups[0].caption,
            "Offered load: 2000 msgs/s per publisher; latency counts from the intended send time.")
    }

    func testCellsOfAnOlderFileAreGroupedByWhatTheyMeasuredWithoutAClaimAboutTheirLoop() throws {
        var run = Self.run()
        for i in run.cells.indices { run.cells[i].workloadKind = nil }
        let groups = try RunReport(run: run, runPath: nil).cellTables.groups
        XCTAssertEqual(groups.map(\.title), ["Cells measuring msgs/s, workload kind not recorded",
                                             "Cells measuring req/s, workload kind not recorded"])
        XCTAssertEqual(groups[0].keyUnits, ["msgs/s", "p50-ns", "p99-ns", "cpu-ns/op", "syscalls/op", "allocs/op"])
        XCTAssertEqual(groups.compactMap(\.caption), [], "nothing says whether an unrecorded workload was rate-limited")
    }

    func testOneNumberFormatPerMetricClass() throws {
        let (html, md, report) = try render(Self.run())
        // Counts: no engineering prefixes, no padding zeros.
        XCTAssertEqual(report.scale("threads").number(6), "6")
        XCTAssertEqual(report.scale("ctxsw/op").number(0.000162), "1.62e-4")
        XCTAssertEqual(report.scale("syscalls/op").number(0.52), "0.520")
        XCTAssertEqual(report.scale("allocs/op").number(12_345), "12,345")
        XCTAssertEqual(report.scale("syscalls/op").number(0.9996), "1.00", "three digits after rounding up")
        XCTAssertEqual(report.scale("msgs/s").number(999_600), "1.00M")
        XCTAssertEqual(report.scale("msgs/s").number(99_960), "100k")
        XCTAssertFalse(md.contains("162.0µ") || md.contains("6.000"), "engineering prefixes on counts")
        // Bytes in IEC units, named in the head.
        XCTAssertEqual(report.scale("peak-RSS-B").headUnit, "MiB")
        XCTAssertTrue(md.contains("| peak-RSS-B (MiB) | 12.5 ± 0% | 12.5 ± 0% |"), md)
        // Durations: one unit per metric for the page (the unit of the typical value), though the
        // cells' p99 differ 87-fold.
        XCTAssertEqual(report.scale("p99-ns").headUnit, "µs")
        let pubsubRow = try XCTUnwrap(
            md.split(separator: "\n").first { $0.hasPrefix("| **flush=immediate** (fastest) |") })
        XCTAssertTrue(pubsubRow.contains("| 78000 ± 2% |"), String(pubsubRow))
        let batchedRow = try XCTUnwrap(md.split(separator: "\n").first { $0.hasPrefix("| flush=batched |") })
        XCTAssertTrue(batchedRow.contains("| 900 ± 2% |"), String(batchedRow))
        // Rates with an SI prefix.
        XCTAssertTrue(html.contains(">268k <span class=\"ci\">± 1%</span>"), "msgs/s median shown as 268k")
        // A median of 0 with one non-zero value: its interval's ends, never `± ?`.
        XCTAssertFalse(md.contains("± ?") || html.contains("± ?"))
        XCTAssertFalse(md.contains("± ∞") || html.contains("± ∞"))
        XCTAssertTrue(md.contains("| page-faults/op | 0 (0 to 3.00e-4) |"), md)
        // A median above 0 with the interval's low end at 0 (benchstat's `± ?`): the ends again.
        let lowAtZero = Summary([0, 1e-5, 2e-5, 3e-5, 4e-5, 5e-5])
        XCTAssertEqual(lowAtZero.rangeText, "?")
        XCTAssertEqual(report.scale("page-faults/op").interval(lowAtZero), "(0 to 5.00e-5)")
    }

    func testTooFewRepetitionsGiveOneFootnoteInsteadOfAnInterval() throws {
        var run = Self.run()
        for i in run.cells.indices { run.cells[i].samples = [run.cells[i].samples[0]] }
        let (html, md, _) = try render(run)
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("|") }
        XCTAssertFalse(rows.isEmpty)
        XCTAssertFalse(rows.contains { $0.contains("±") }, "no interval from one repetition")
        XCTAssertEqual(
            md.components(separatedBy: "Figures without an interval: n=1 repetition").count - 1, 1, "said once")
        XCTAssertTrue(html.contains("id=\"interval-footnote\">Figures without an interval: n=1 repetition"))
    }
}
