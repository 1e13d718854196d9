import Foundation
import SurgeResults
import XCTest

/// The gate's verdicts end to end (the built `surge compare` on result files written here), each
/// output held in a golden file under Golden/ (`SURGE_UPDATE_GOLDEN=1` rewrites them): identical
/// builds pass, one change counts once, gauges inform, per-op averages are judged statistically,
/// figures by different methods are not compared, and broken input never passes.
final class VerdictGoldenTests: XCTestCase {
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Golden")
    var dir: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: CompareCLITests.binary) else {
            XCTFail("surge binary missing at \(CompareCLITests.binary): build it first with `swift build`")
            throw XCTSkip("no binary")
        }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-verdicts-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    /// Six repetitions of a pub/sub cell around `level`, spread ±1% in a fixed pattern.
    static func spread(_ level: Double) -> [Double] {
        [1.0, 1.004, 0.996, 1.008, 0.992, 1.002].map { $0 * level }
    }

    struct Levels {
        var rate = 100_000.0
        var p99 = 2_000_000.0
        var syscalls = 0.955
        var allocs = 3.7
        var rss = 40_000_000.0
    }

    static func run(
        _ id: String, _ levels: Levels, methods: [String: String] = ["allocs/op": "preload", "syscalls/op": "bpf"],
        cells: [String] = ["immediate", "batched"]
    ) -> RunResult {
        var run = RunResult(
            runID: id, startedAt: Date(timeIntervalSince1970: 1_790_000_000),
            scenario: ScenarioInfo(name: "pubsub", file: "Scenarios/pubsub.yaml", sha256: "ab"),
            source: SourceInfo(commit: "c0ffee", dirty: false),
            host: HostInfo(
                hostname: "h", cpuModel: "Test CPU", cores: 2, kernel: "6.1", loadAverage: [0, 0, 0],
                surgeVersion: "0.1.0", buildConfig: "release"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        run.probeMethods = methods
        run.cells = cells.map { flush in
            var cell = CellResult(
                name: "BenchmarkPubsub/flush=\(flush)", parameters: [CellParameter(name: "flush", value: flush)])
            cell.keyMetrics = ["msgs/s": "5%", "p99-ns": "20%", "syscalls/op": "10%", "allocs/op": "10%"]
            cell.probeMethods = methods
            let rates = spread(levels.rate)
            cell.samples = (0..<6).map { i in
                let rate = rates[i]
                return Sample(
                    repetition: i + 1, operations: 100_000, elapsedSeconds: 100_000 / rate,
                    metrics: [
                        "msgs/s": rate, "sub-msgs/s": rate, "B/s": rate * 128, "ns/op": 1e9 / rate,
                        "p99-ns": spread(levels.p99)[(i + 2) % 6], "syscalls/op": spread(levels.syscalls)[(i + 4) % 6],
                        "allocs/op": spread(levels.allocs)[(i + 1) % 6], "peak-RSS-B": spread(levels.rss)[(i + 3) % 6],
                        "threads": 6,
                    ])
            }
            return cell
        }
        return run
    }

    func write(_ run: RunResult, _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try RunResultCodec.write(run, path: path)
        return path
    }

    func assertGolden(
        _ args: [String], status: Int32, golden: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let r = try CompareCLITests.surge(["compare"] + args, cwd: dir)
        var text = r.stdout + (r.stderr.isEmpty ? "" : "--- stderr\n" + r.stderr)
        text = text.replacingOccurrences(of: dir.path + "/", with: "")
        XCTAssertEqual(r.status, status, text, file: file, line: line)
        let url = Self.goldenDirectory.appendingPathComponent(golden)
        if ProcessInfo.processInfo.environment["SURGE_UPDATE_GOLDEN"] != nil {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text, expected, "\(golden) differs (SURGE_UPDATE_GOLDEN=1 rewrites it)", file: file, line: line)
    }

    func testIdenticalBuildsPass() throws {
        var b = Levels()
        b.rate *= 1.01
        b.p99 *= 0.98
        b.rss *= 1.004
        let old = try write(Self.run("a1", Levels()), "a1.json")
        let new = try write(Self.run("a2", b), "a2.json")
        try assertGolden(["old=" + old, "new=" + new], status: 0, golden: "verdict-aa.txt")
    }

    func testOneChangeCountsOnceNotFourTimes() throws {
        var b = Levels()
        b.rate *= 0.8
        let old = try write(Self.run("a1", Levels()), "a1.json")
        let new = try write(Self.run("b1", b), "b1.json")
        // msgs/s, sub-msgs/s, B/s and sec/op all moved: one regression per cell, as msgs/s.
        try assertGolden(["old=" + old, "new=" + new], status: 2, golden: "verdict-derived.txt")
    }

    func testGaugeChangeIsInformational() throws {
        var b = Levels()
        b.rss *= 1.3
        let old = try write(Self.run("a1", Levels()), "a1.json")
        let new = try write(Self.run("g1", b), "g1.json")
        try assertGolden(["old=" + old, "new=" + new], status: 0, golden: "verdict-gauge.txt")
        // Named by a threshold, a gauge gates.
        try assertGolden(
            ["--threshold", "peak-RSS-B=10%", "old=" + old, "new=" + new], status: 2, golden: "verdict-gauge-gated.txt")
    }

    func testPerOpAverageIsComparedStatistically() throws {
        var b = Levels()
        b.syscalls = 1.2
        let old = try write(Self.run("a1", Levels()), "a1.json")
        let new = try write(Self.run("s1", b), "s1.json")
        // Shown as a median with its interval and a p-value, gated at the workload's 10%.
        try assertGolden(["old=" + old, "new=" + new], status: 2, golden: "verdict-per-op.txt")
    }

    func testFiguresByDifferentMethodsAreNotCompared() throws {
        var b = Levels()
        b.allocs = 6.0
        let old = try write(
            Self.run("u1", Levels(), methods: ["allocs/op": "uprobe (profile pass)", "syscalls/op": "bpf"]), "u1.json")
        let new = try write(Self.run("p1", b), "p1.json")
        try assertGolden(["old=" + old, "new=" + new], status: 0, golden: "verdict-methods.txt")
    }

    func testBrokenInputNeverPasses() throws {
        let good = try write(Self.run("a1", Levels()), "good.json")
        let whole = try String(contentsOfFile: good, encoding: .utf8)
        try "this is not a result file\n".write(
            toFile: dir.appendingPathComponent("garbage.json").path, atomically: true, encoding: .utf8)
        try "".write(toFile: dir.appendingPathComponent("empty.json").path, atomically: true, encoding: .utf8)
        let half = String(whole.prefix(whole.count / 2))
        try half.write(
            toFile: dir.appendingPathComponent("truncated.json").path, atomically: true, encoding: String.Encoding.utf8)
        try #"{"schema": "surge.run/v7", "cells": []}"#.write(
            toFile: dir.appendingPathComponent("future.json").path,
            atomically: true, encoding: .utf8)
        _ = try write(Self.run("x1", Levels(), cells: ["read"]), "other-cells.json")
        var noSamples = Self.run("n1", Levels())
        for i in noSamples.cells.indices {
            noSamples.cells[i].status = .failed
            noSamples.cells[i].samples = []
        }
        _ = try write(noSamples, "failed.json")
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("Reports/baselines"), withIntermediateDirectories: true)
        try "".write(
            toFile: dir.appendingPathComponent("Reports/baselines/empty.json").path, atomically: true, encoding: .utf8)
        try "garbage".write(
            toFile: dir.appendingPathComponent("Reports/baselines/junk.json").path, atomically: true, encoding: .utf8)

        var outputs = ""
        for args in [
            ["garbage.json", "good.json"], ["empty.json", "good.json"], ["truncated.json", "good.json"],
            ["future.json", "good.json"], ["failed.json", "good.json"], ["other-cells.json", "good.json"],
            ["--baseline", "empty", "good.json"], ["--baseline", "junk", "good.json"],
            ["--baseline", "none", "good.json"],
        ] {
            let r = try CompareCLITests.surge(["compare"] + args, cwd: dir)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stdout)\(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args)")
            outputs +=
                "$ surge compare \(args.joined(separator: " "))\n"
                + r.stderr.replacingOccurrences(of: dir.path + "/", with: "")
        }
        let url = Self.goldenDirectory.appendingPathComponent("verdict-broken-inputs.txt")
        if ProcessInfo.processInfo.environment["SURGE_UPDATE_GOLDEN"] != nil {
            try outputs.write(to: url, atomically: true, encoding: .utf8)
        } else {
            XCTAssertEqual(outputs, try String(contentsOf: url, encoding: .utf8), "verdict-broken-inputs.txt differs")
        }
    }
}
