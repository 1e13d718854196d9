import Foundation
import Histogram
import SurgeReport
import SurgeResults
import SurgeStats
import XCTest

/// The HTML report opened in headless Chromium (Debian's `chromium`): it loads without errors and
/// without fetching anything, its text holds the scenario and a known median, every chart is a
/// drawn SVG, and a parameter value carrying markup is shown as text, never run.
final class ReportHTMLChromiumTests: XCTestCase {
    static let xss = "<img src=x onerror=alert(1)>"

    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A run of 2×2 cells, 6 repetitions, msgs/s spread ±1% around `base(p, flush)`; flush values carry markup.
    static func run(id: String, commit: String, factor: Double, time: TimeInterval) -> RunResult {
        var run = RunResult(
            runID: id, startedAt: Date(timeIntervalSince1970: time),
            scenario: ScenarioInfo(name: "fanout-html", file: "Scenarios/fanout-html.yaml", sha256: "abcdef0123456789", thresholds: ["msgs/s": "3%"]),
            source: SourceInfo(commit: commit, dirty: false),
            host: HostInfo(hostname: "ci", cpuModel: "Test CPU", cores: 2, kernel: "6.1", loadAverage: [0, 0, 0], surgeVersion: "0.1.0", buildConfig: "release"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        for p in [1, 4] {
            for flush in ["immediate", xss] {
                let base = Double(p) * (flush == "immediate" ? 1_000_000 : 2_000_000) * (p == 4 ? factor : 1)
                let samples = (0..<6).map { i -> Sample in
                    let m = base * (1 + (Double(i) - 2.5) * 0.004)
                    var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
                    for k in 0..<1000 { h.record(UInt64(10_000 + k * 50)) }
                    return Sample(repetition: i + 1, operations: 1000, elapsedSeconds: 1000 / m,
                                  metrics: ["msgs/s": m, "p99-ns": 59_500, "allocs/op": 2], latencyHistogram: HistogramCodec.encode(h))
                }
                run.cells.append(CellResult(name: "BenchmarkFanoutHtml/publishers=\(p)/flush=\(flush)",
                                            parameters: [CellParameter(name: "publishers", value: "\(p)"), CellParameter(name: "flush", value: flush)],
                                            samples: samples))
            }
        }
        return run
    }

    /// Loads `page` plus a probe script in Chromium and returns what the probe found (JSON).
    func probe(_ htmlPath: String) throws -> [String: Any] {
        guard let chromium = Self.chromium else {
            throw XCTSkip("headless Chromium is not installed (Debian package chromium); the HTML report was written but not opened")
        }
        // The probe runs first (errors, including failed resource loads, are caught from the start)
        // and after load records what the page shows into an attribute that --dump-dom prints.
        var html = try String(contentsOfFile: htmlPath, encoding: .utf8)
        let early = """
            <script>window.__errors=[];addEventListener('error',e=>{__errors.push(String(e.message||(e.target&&e.target.outerHTML)||'error'))},true);
            window.alert=(m)=>__errors.push('alert called: '+m);</script>
            """
        let late = """
            <script>addEventListener('load',()=>{const svgs=[...document.querySelectorAll('figure.chart svg')];
            const out={errors:__errors,title:document.title,text:document.body.innerText,
            scrollWidth:document.documentElement.scrollWidth,
            resources:performance.getEntriesByType('resource').map(r=>r.name),
            imgs:document.querySelectorAll('img').length,
            charts:svgs.map(s=>{const b=s.getBoundingClientRect();return {w:b.width,h:b.height,marks:s.querySelectorAll('path,polyline,polygon,rect,circle').length}})};
            document.body.setAttribute('data-probe',btoa(unescape(encodeURIComponent(JSON.stringify(out)))));});</script>
            """
        html = html.replacingOccurrences(of: "<head>", with: "<head>" + early).replacingOccurrences(of: "</body>", with: late + "</body>")
        let probed = dir.appendingPathComponent("probed.html")
        try Data(html.utf8).write(to: probed)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(dir.appendingPathComponent("profile").path)",
                       "--window-size=1400,3000", "--virtual-time-budget=5000", "--dump-dom", probed.absoluteString]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        guard let start = dom.range(of: "data-probe=\""), let end = dom[start.upperBound...].firstIndex(of: "\"") else {
            XCTFail("the page did not finish loading in Chromium (no probe result in the DOM)")
            return [:]
        }
        let data = try XCTUnwrap(Data(base64Encoded: String(dom[start.upperBound..<end])))
        var result = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        result["dom"] = dom
        return result
    }

    func testRunReportInChromium() throws {
        let baseline = Self.run(id: "base-run", commit: "aaaa", factor: 1, time: 1_795_000_000)
        let run = Self.run(id: "new-run", commit: "bbbb", factor: 0.85, time: 1_795_100_000)
        let report = try RunReport(run: run, runPath: "runs/new-run.json", baseline: baseline, baselinePath: "baselines/base.json")
        let written = try ReportWriter().write(report, to: dir.appendingPathComponent("report").path)
        let result = try probe(written.htmlPath)
        guard !result.isEmpty else { return }

        XCTAssertEqual(result["errors"] as? [String], [], "the page logged errors")
        XCTAssertEqual(result["resources"] as? [String], [], "the page fetched something: it must be self-contained")
        XCTAssertEqual(result["imgs"] as? Int, 0, "markup from a parameter value became an element")
        let text = try XCTUnwrap(result["text"] as? String)
        XCTAssertTrue(text.contains("fanout-html"))
        // publishers=1 flush=immediate: 6 values 1e6·(1 + (i−2.5)·0.004); the median is the mean of the middle two = 1.000M.
        let values = (0..<6).map { 1_000_000 * (1 + (Double($0) - 2.5) * 0.004) }.sorted()
        XCTAssertEqual((values[2] + values[3]) / 2, 1_000_000, accuracy: 1e-6)
        XCTAssertTrue(text.contains("1.00M"), "known median not shown")
        XCTAssertTrue(text.contains(Self.xss), "the markup is shown as text")
        XCTAssertTrue(text.contains("-15.00%"), "the regression's size is shown")
        let dom = try XCTUnwrap(result["dom"] as? String)
        XCTAssertTrue(dom.contains("&lt;img src=x onerror=alert(1)&gt;"))

        let charts = try XCTUnwrap(result["charts"] as? [[String: Any]])
        XCTAssertEqual(charts.count, report.charts.count)
        XCTAssertGreaterThan(charts.count, 4)
        for (i, c) in charts.enumerated() {
            XCTAssertGreaterThan(c["w"] as? Double ?? 0, 100, "chart \(report.charts[i].id) has no width")
            XCTAssertGreaterThan(c["h"] as? Double ?? 0, 100, "chart \(report.charts[i].id) has no height")
            XCTAssertGreaterThan(c["marks"] as? Int ?? 0, 5, "chart \(report.charts[i].id) draws nothing")
        }
    }

    /// A smoke-like run: two workload kinds, every metric a probed smoke run records (21 of them),
    /// compared with a baseline. The page must not scroll sideways in a 1,400 px window.
    static func wideRun(id: String, factor: Double) -> RunResult {
        var run = RunResult(
            runID: id, startedAt: Date(timeIntervalSince1970: 1_795_000_000),
            scenario: ScenarioInfo(name: "smoke-wide", file: "Scenarios/smoke.yaml", sha256: "abcdef0123456789", thresholds: ["msgs/s": "5%"]),
            source: SourceInfo(commit: "c", dirty: false),
            host: HostInfo(hostname: "a-rather-long-host-name.example.internal", cpuModel: "AMD EPYC 7B13 64-Core Processor", cores: 2,
                           kernel: "6.12.48+deb13-cloud-amd64", loadAverage: [3.8, 2, 1], loadAverageAfter: [3.1, 2.2, 1.1],
                           surgeVersion: "0.1.0", buildConfig: "debug"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        let metrics = ["msgs/s", "req/s", "B/s", "ns/op", "p50-ns", "p90-ns", "p99-ns", "p99.9-ns", "max-ns", "cpu-ns/op",
                       "cpu-user-ns/op", "cpu-sys-ns/op", "syscalls/op", "syscalls.write/op", "syscalls.read/op", "allocs/op",
                       "B/op", "ctxsw/op", "threads", "peak-RSS-B", "page-faults/op"]
        for kind in ["nats.pubsub", "nats.request"] {
            for flush in ["immediate", "batched"] {
                let samples = (0..<6).map { i -> Sample in
                    var m: [String: Double] = [:]
                    for (k, name) in metrics.enumerated() where !(kind == "nats.pubsub" && name == "req/s") && !(kind == "nats.request" && name == "msgs/s") {
                        m[name] = Double(k + 1) * 12_345.678 * factor * (1 + Double(i) * 0.01)
                    }
                    return Sample(repetition: i + 1, operations: 1000, elapsedSeconds: 0.3, metrics: m)
                }
                var cell = CellResult(name: "BenchmarkSmokeWide/workload=\(kind)/flush=\(flush)",
                                      parameters: [CellParameter(name: "workload", value: kind), CellParameter(name: "flush", value: flush)],
                                      samples: samples)
                cell.workloadKind = kind
                cell.probeMethods = ["syscalls/op": "bpf", "allocs/op": "uprobe (profile pass)", "cpu-ns/op": "proc"]
                run.cells.append(cell)
            }
        }
        return run
    }

    func testRunReportFitsFourteenHundredPixels() throws {
        let report = try RunReport(run: Self.wideRun(id: "new", factor: 1.3), runPath: "runs/new.json",
                                   baseline: Self.wideRun(id: "old", factor: 1), baselinePath: "baselines/old.json")
        let written = try ReportWriter().write(report, to: dir.appendingPathComponent("wide").path)
        let result = try probe(written.htmlPath)
        guard !result.isEmpty else { return }
        XCTAssertEqual(result["errors"] as? [String], [])
        let width = try XCTUnwrap(result["scrollWidth"] as? Int)
        XCTAssertLessThanOrEqual(width, 1400, "the page scrolls sideways at 1,400 px")
        let text = try XCTUnwrap(result["text"] as? String)
        XCTAssertTrue(text.contains("Load average 3.80 before the run and 3.10 after it on 2 cores"), "the load warning is visible")
        XCTAssertTrue(text.contains("syscalls/op"), "a key metric is a column")
    }

    func testWeeklyReportInChromium() throws {
        var runs: [RunResult] = []
        for i in 0..<14 {
            runs.append(Self.run(id: "run-\(i)", commit: "c\(i)", factor: i >= 8 ? 0.85 : 1, time: 1_795_000_000 + Double(i) * 86400))
        }
        let report = WeeklyReport(runs: runs, now: Date(timeIntervalSince1970: 1_795_000_000 + 13.5 * 86400))
        XCTAssertFalse(report.regressions.isEmpty)
        let written = try ReportWriter().write(report, to: dir.appendingPathComponent("weekly").path)
        let result = try probe(written.htmlPath)
        guard !result.isEmpty else { return }
        XCTAssertEqual(result["errors"] as? [String], [])
        XCTAssertEqual(result["resources"] as? [String], [])
        XCTAssertEqual(result["imgs"] as? Int, 0)
        let text = try XCTUnwrap(result["text"] as? String)
        XCTAssertTrue(text.contains("c7..c8"), "the commit range of the regression")
        let charts = try XCTUnwrap(result["charts"] as? [[String: Any]])
        XCTAssertEqual(charts.count, report.charts.count)
        for c in charts { XCTAssertGreaterThan(c["marks"] as? Int ?? 0, 5) }
    }

    func testWithoutGnuplotThePageSaysWhyAndStillLoads() throws {
        let report = try RunReport(run: Self.run(id: "r", commit: "c", factor: 1, time: 1_795_000_000), runPath: "r.json")
        let written = try ReportWriter(gnuplot: GnuplotRenderer(executable: "/nonexistent/gnuplot")).write(report, to: dir.appendingPathComponent("r").path)
        let result = try probe(written.htmlPath)
        guard !result.isEmpty else { return }
        XCTAssertEqual(result["errors"] as? [String], [])
        XCTAssertEqual((result["charts"] as? [Any])?.count, 0)
        XCTAssertTrue((result["text"] as? String ?? "").contains("charts left out: gnuplot was not found"))
    }
}
