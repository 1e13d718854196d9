import Foundation
import XCTest
import SurgeResults

/// End-to-end: the built `surge` binary run as a subprocess (build it first: `swift build`).
final class CompareCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = root.appendingPathComponent(".build/debug/surge").path
    static let golden = root.appendingPathComponent("Tests/SurgeReportTests/Golden")
    var dir: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            XCTFail("surge binary missing at \(Self.binary): build it first with `swift build`")
            throw XCTSkip("no binary")
        }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-cli-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func surge(_ args: [String], cwd: URL? = nil) throws -> Outcome {
        try Self.surge(args, cwd: cwd)
    }

    static func surge(_ args: [String], cwd: URL? = nil) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        p.currentDirectoryURL = cwd ?? Self.golden
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func golden(_ name: String) throws -> String {
        try String(contentsOf: Self.golden.appendingPathComponent(name), encoding: .utf8)
    }

    func testGoInputStdoutIsBenchstatsAndVerdictGoesToStderr() throws {
        let r = try surge(["compare", "old.txt=queue-old.txt", "new.txt=queue-new.txt"])
        XCTAssertEqual(r.stdout, try golden("queue.text"))
        XCTAssertEqual(r.status, 2, "Push got 20% slower with p=0.002: beyond Go input's default 5% for sec/op")
        XCTAssertEqual(r.stderr, """
            surge compare: warning: cells of new.txt not in old.txt (not compared): Peek-2
            surge compare: REGRESSION: 1 of 6 gated comparisons regressed (Push-2 sec/op +20.00% > 5%)

            """)
    }

    func testThresholdAboveTheChangePassesAndSingleDashFlagsWork() throws {
        let r = try surge(["compare", "--threshold", "ns/op=25%", "-format", "csv", "old.txt=queue-old.txt", "new.txt=queue-new.txt"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, try golden("queue.csv"))
        XCTAssertTrue(r.stderr.hasPrefix(try golden("queue.csv-warnings")), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("surge compare: OK: no regression in 6 gated comparisons (0 improved; 0 informational)\n"),
                      r.stderr)
        let c = try surge(["compare", "-col", "/size", "-row=.name", "--filter", ".name:Other", "small-old.txt"])
        XCTAssertEqual(c.stdout, try golden("small-col.text"))
    }

    func testMalformedLineIsReportedAndSkipped() throws {
        let r = try surge(["compare", "old.txt=small-old.txt", "new.txt=small-new.txt"])
        XCTAssertEqual(r.stdout, try golden("small.text"))
        XCTAssertTrue(r.stderr.hasPrefix("old.txt:6: parsing measurement: invalid syntax\n"), r.stderr)
        XCTAssertEqual(r.status, 0)
    }

    func testUsageAndInputErrorsExitOne() throws {
        XCTAssertEqual(try surge(["compare"]).status, 1)
        let missing = try surge(["compare", "nope.txt", "queue-new.txt"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.txt: cannot read"), missing.stderr)
        let badFilter = try surge(["compare", "-filter", "(", "queue-old.txt"])
        XCTAssertEqual(badFilter.status, 1)
        XCTAssertTrue(badFilter.stderr.contains("parsing -filter"), badFilter.stderr)
        let corrupt = dir.appendingPathComponent("corrupt.json")
        try #"{"schema": "surge.run/v1", "runID": 3"#.write(to: corrupt, atomically: true, encoding: .utf8)
        let c = try surge(["compare", corrupt.path, "queue-new.txt"])
        XCTAssertEqual(c.status, 1)
        XCTAssertTrue(c.stderr.contains("not a valid Surge result file: invalid JSON"), c.stderr)
    }

    func testEmptyComparisonSaysWhy() throws {
        let r = try surge(["compare", "-filter", ".name:NoSuchBenchmark", "queue-old.txt", "queue-new.txt"])
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("nothing to compare: no result matched -filter .name:NoSuchBenchmark"), r.stderr)
    }

    func makeRun(id: String, scenario: String = "fanout", kernel: String = "6.1", rates: [Double], allocs: Double) -> RunResult {
        var run = RunResult(
            runID: id, startedAt: Date(timeIntervalSince1970: 1_790_000_000),
            scenario: ScenarioInfo(name: scenario, file: "Scenarios/\(scenario).yaml", sha256: "ab", thresholds: ["msgs/s": "3%", "allocs/op": "0%"]),
            source: nil,
            host: HostInfo(hostname: "h", cpuModel: "Test CPU", cores: 2, kernel: kernel, loadAverage: [0, 0, 0], surgeVersion: "0.1.0", buildConfig: "release"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        run.cells = [CellResult(name: "BenchmarkFanout/flush=batched", parameters: [CellParameter(name: "flush", value: "batched")],
                                samples: rates.enumerated().map { i, r in Sample(repetition: i + 1, operations: 1000, elapsedSeconds: 1, metrics: ["msgs/s": r, "allocs/op": allocs]) })]
        return run
    }

    func testBaselineSaveAndGateOnSurgeResults() throws {
        let base = dir.appendingPathComponent("base.json").path
        let same = dir.appendingPathComponent("same.json").path
        let worse = dir.appendingPathComponent("worse.json").path
        let otherHost = dir.appendingPathComponent("other-host.json").path
        let otherScenario = dir.appendingPathComponent("other-scenario.json").path
        try RunResultCodec.write(makeRun(id: "b", rates: [150, 151, 149, 150, 152, 148], allocs: 1), path: base)
        try RunResultCodec.write(makeRun(id: "s", rates: [151, 150, 148, 150, 153, 149], allocs: 1), path: same)
        try RunResultCodec.write(makeRun(id: "w", rates: [140, 141, 139, 140, 142, 138], allocs: 1), path: worse)
        try RunResultCodec.write(makeRun(id: "h", kernel: "6.9", rates: [150, 151, 149, 150, 152, 148], allocs: 1), path: otherHost)
        try RunResultCodec.write(makeRun(id: "o", scenario: "other", rates: [150, 151, 149, 150, 152, 148], allocs: 1), path: otherScenario)

        let save = try surge(["baseline", "save", "ci", base], cwd: dir)
        XCTAssertEqual(save.status, 0, save.stderr)
        let saved = try RunResultCodec.read(path: dir.appendingPathComponent("Reports/baselines/ci.json").path)
        XCTAssertEqual(saved.host.fingerprint, "Test CPU | 2 cores | kernel 6.1 | surge 0.1.0 | release")

        let ok = try surge(["compare", "--baseline", "ci", same], cwd: dir)
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.hasSuffix("surge compare: OK: no regression in 2 gated comparisons (0 improved; 0 informational)\n"),
                      ok.stdout)

        let bad = try surge(["compare", "--baseline", "ci", worse], cwd: dir)
        XCTAssertEqual(bad.status, 2, bad.stdout)
        XCTAssertTrue(bad.stdout.contains("-6.67% (p=0.002 n=6)"), bad.stdout)
        XCTAssertTrue(bad.stdout.hasSuffix(
            "surge compare: REGRESSION: 1 of 2 gated comparisons regressed (Fanout/flush=batched msgs/s -6.67% > 3%)\n"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("REGRESSION: Fanout/flush=batched msgs/s -6.67% (threshold 3% scenario, p=0.002)"),
                      bad.stdout)

        let md = try surge(["compare", "--format", "markdown", "--baseline", "ci", worse], cwd: dir)
        XCTAssertEqual(md.status, 2)
        XCTAssertTrue(md.stdout.contains("| Fanout/flush=batched | 150.0 ± 1% | 140.0 ± 1% | 🔴 **-6.67%** | p=0.002 n=6 |"), md.stdout)

        let json = try surge(["compare", "--format", "json", base, worse], cwd: dir)
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(doc?["regressions"] as? Int, 1)
        XCTAssertEqual(doc?["exitStatus"] as? Int, 2)

        // Different host: warning against a baseline, exit 3 with --strict or between plain files.
        let warn = try surge(["compare", "--baseline", "ci", otherHost], cwd: dir)
        XCTAssertEqual(warn.status, 0)
        XCTAssertTrue(warn.stdout.contains("warning: host fingerprints differ"), warn.stdout)
        XCTAssertEqual(try surge(["compare", "--strict", "--baseline", "ci", otherHost], cwd: dir).status, 3)
        XCTAssertEqual(try surge(["compare", base, otherHost], cwd: dir).status, 3)
        XCTAssertEqual(try surge(["compare", "--allow-mismatch", base, otherHost], cwd: dir).status, 0)
        let scen = try surge(["compare", base, otherScenario], cwd: dir)
        XCTAssertEqual(scen.status, 3)
        XCTAssertTrue(scen.stdout.contains("inputs not comparable: base.json is scenario 'fanout', other-scenario.json is 'other'") ||
                      scen.stdout.contains("is scenario 'fanout'"), scen.stdout)
    }
}
