import Foundation
import SurgeResults
import SurgeRunner
import SurgeTestKit
import XCTest

/// The `surge` binary as a user runs it: real processes, real exit codes, real files.
final class SurgeCLITests: XCTestCase {
    func surge(_ args: [String], in dir: String? = nil) throws -> SurgeBinary.Output {
        try SurgeBinary.run(args, in: dir)
    }

    func tempDir() -> String { SurgeBinary.tempDir("surge-cli") }

    func testValidateReportsEveryErrorWithFileLineAndKey() throws {
        let dir = tempDir()
        try """
            name: bad
            target: { component: brokr }
            workload:
              kind: nats.pubsub
              publishers: lots
              payloadd: 16
            repetitions: 6
            """.write(toFile: "\(dir)/bad.yaml", atomically: true, encoding: .utf8)
        let r = try surge(["validate", "bad.yaml"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("bad.yaml:2:9: error: target.component: unknown component 'brokr'; built in: broker"), r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.yaml:5:15: error: workload.publishers: expected an integer, found 'lots'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.yaml:6:3: error: workload.payloadd: unknown key for nats.pubsub; accepted:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.yaml: 3 errors"), r.stderr)
    }

    func testValidateChecksComponentOptionsAgainstTheirDeclarations() throws {
        let dir = tempDir()
        try """
            name: opts
            target:
              component: broker
              options: { flush: "{mode}", max-pending: 12, colour: red }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 16 }
            matrix: { mode: [batched, sometimes] }
            """.write(toFile: "\(dir)/opts.yaml", atomically: true, encoding: .utf8)
        let r = try surge(["validate", "opts.yaml"], in: dir)
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stderr.contains("opts.yaml:4:21: error: target.options.flush: broker option flush=sometimes: "
                                        + "expected immediate, batched or read (in cell BenchmarkOpts/mode=sometimes)\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("opts.yaml:4:44: error: target.options.max-pending: broker option max-pending=12: "
                                        + "expected an integer in 1024...1099511627776\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("opts.yaml:4:56: error: target.options.colour: broker option colour=red: "
                                        + "expected one of the options flush,"), r.stderr)
        XCTAssertTrue(r.stderr.contains("opts.yaml: 3 errors"), r.stderr)
    }

    func testShippedScenariosAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(root)/Scenarios").filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertTrue(files.contains("smoke.yaml"))
        let r = try surge(["validate"] + files.map { "Scenarios/\($0)" }, in: root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, files.count)
    }

    func testRunPrintsATableAndWritesJSONAndGoBenchmarkFormat() throws {
        let dir = tempDir()
        try """
            name: cli-run
            target: { component: broker }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: "{payload}", messages: 2000 }
            matrix: { payload: [16, 256] }
            warmup: 0s
            repetitions: 2
            """.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
        let r = try surge(["run", "s.yaml", "--out", "runs"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("BenchmarkCliRun/payload=16"), r.stdout)
        XCTAssertTrue(r.stdout.contains("msgs/s"), r.stdout)
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs").sorted()
        XCTAssertEqual(files.count, 2, "\(files)")
        let json = try XCTUnwrap(files.first { $0.hasSuffix("-cli-run.json") })
        let run = try RunResultCodec.read(path: "\(dir)/runs/\(json)")
        XCTAssertEqual(run.cells.count, 2)
        let txt = try String(contentsOfFile: "\(dir)/runs/\(json.dropLast(5)).txt", encoding: .utf8)
        let lines = txt.split(separator: "\n").filter { $0.hasPrefix("BenchmarkCliRun/payload=16 ") }
        XCTAssertEqual(lines.count, 2, txt)
        XCTAssertTrue(lines[0].contains(" msgs/s"), String(lines[0]))
    }

    func testServePrintsReadyLineAndServesStats() throws {
        let path = try SurgeBinary.require()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["serve", "broker", "-o", "flush=immediate"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let ready = try XCTUnwrap(JSONSerialization.jsonObject(with: line) as? [String: Any])
        XCTAssertEqual(ready["ready"] as? Bool, true)
        let statsPort = try XCTUnwrap(ready["stats_port"] as? Int)
        let counters = try StatsClient.fetch(host: "127.0.0.1", port: statsPort)
        XCTAssertEqual(counters["msgs_in"], 0)
        XCTAssertEqual(counters["connections"], 0)
    }

    func testServeRejectsABadOption() throws {
        let r = try surge(["serve", "broker", "-o", "flush=sometimes"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("flush"), r.stderr)
    }

    func testListShowsTheHandicapOfEveryComponent() throws {
        let r = try surge(["list"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let handicapLines = r.stdout.split(separator: "\n").filter { $0.contains("handicap-ns") }
        XCTAssertEqual(
            handicapLines.count, 5, "broker, http, mesh-node, stream and router each list handicap-ns:\n\(r.stdout)")
        for word in ["templates", "expressions", "static-cache", "matcher", "path-split", "nats.pipeline", "micro", "command"] {
            XCTAssertTrue(r.stdout.contains(word), "surge list shows \(word)")
        }
        XCTAssertTrue(handicapLines.allSatisfy { $0.contains("(default: 0)") }, "\(handicapLines)")
    }

    /// Every line of `surge list` and of every command's and subcommand's help fits an 80-column terminal.
    func testListAndHelpFitEightyColumns() throws {
        let surge = try SurgeBinary.require()
        let commands = [
            ["list"], ["--help"], ["run", "--help"], ["ab", "--help"], ["compare", "--help"], ["report", "--help"],
            ["probe", "--help"], ["profile", "--help"], ["merge", "--help"], ["calibrate", "--help"],
            ["serve", "--help"], ["validate", "--help"], ["history", "--help"], ["baseline", "--help"],
            ["profile", "record", "--help"], ["profile", "diff", "--help"], ["report", "run", "--help"],
            ["report", "weekly", "--help"], ["history", "add", "--help"], ["history", "list", "--help"],
            ["baseline", "save", "--help"], ["serve", "broker", "--help"],
        ]
        for args in commands {
            let r = try SurgeBinary.run(["COLUMNS=80", surge] + args, executable: "/usr/bin/env")
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            let long = r.stdout.split(separator: "\n").filter { $0.count > 80 }
            XCTAssertEqual(long, [], "surge \(args.joined(separator: " ")): lines over 80 columns")
        }
    }

    func testUnknownScenarioFileIsAClearError() throws {
        let r = try surge(["run", "/nonexistent/x.yaml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("/nonexistent/x.yaml: error: cannot read the file"), r.stderr)
    }
}
