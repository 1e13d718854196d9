import Foundation
import Glibc
import SurgeResults
import SurgeTestKit
import XCTest

/// `surge ab` as a user runs it: real brokers started fresh for every visit, real traffic, the
/// paired verdict and its exit status, the two linked result files.
final class AbCommandTests: XCTestCase {
    func tempDir() -> String { SurgeBinary.tempDir("surge-ab") }

    static let flushScenario = """
        name: ab-flush
        targets:
          batched: { component: broker, options: { flush: batched } }
          immediate: { component: broker, options: { flush: immediate } }
          slow: { component: broker, options: { flush: batched, handicap-ns: 500000 } }
        workload: { kind: nats.pubsub, publishers: 1, subscribers: "{subscribers}", payload: 16, messages: "{messages}" }
        matrix: { target: [batched, immediate, slow], subscribers: [4], messages: [5000] }
        warmup: 0s
        probes: [syscalls]
        """

    func write(_ yaml: String, in dir: String) throws -> String {
        let path = "\(dir)/s.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func results(in dir: String) throws -> (a: RunResult, b: RunResult) {
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs").filter { $0.hasSuffix(".json") }
        let a = try XCTUnwrap(files.first { $0.hasSuffix("-A.json") }, "\(files)")
        let b = try XCTUnwrap(files.first { $0.hasSuffix("-B.json") }, "\(files)")
        return (try RunResultCodec.read(path: "\(dir)/runs/\(a)"), try RunResultCodec.read(path: "\(dir)/runs/\(b)"))
    }

    /// B flushes every message: fewer msgs/s and more syscalls per message than A. Exit 2.
    func testFlushImmediateAgainstBatchedIsARegressionOfB() throws {
        let dir = tempDir()
        _ = try write(Self.flushScenario, in: dir)
        let r = try SurgeBinary.run(
            ["ab", "s.yaml", "--a", "batched", "--b", "immediate", "--out", "runs", "-q"], in: dir)
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let msgs = try XCTUnwrap(
            lines.first { $0.hasPrefix("AbFlush/subscribers=4/messages=5000 ") && $0.contains(" msgs/s ") }, r.stdout)
        XCTAssertTrue(msgs.contains("REGRESSION"), msgs)
        XCTAssertTrue(r.stdout.contains("surge ab: REGRESSION"), r.stdout)
        let (a, b) = try results(in: dir)
        // ABBA with fresh processes: every visit its own pid, A before B in odd rounds, after in even.
        XCTAssertEqual(
            a.ab?.rounds["BenchmarkAbFlush/subscribers=4/messages=5000"], ["AB", "BA", "AB", "BA", "AB", "BA"])
        XCTAssertEqual(a.ab?.otherRunID, b.runID)
        XCTAssertEqual(b.ab?.side, "B")
        let sa = a.cells[0].samples
        let sb = b.cells[0].samples
        XCTAssertEqual(sa.count, 6)
        XCTAssertEqual(sb.count, 6)
        let pids = (sa + sb).compactMap { $0.processIDs?.first }
        XCTAssertEqual(Set(pids).count, 12, "a fresh target every visit: \(pids)")
        for (x, y) in zip(sa, sb) {
            XCTAssertEqual(x.repetition % 2 == 1, (x.visit ?? 0) < (y.visit ?? 0), "round \(x.repetition) order")
        }
        guard sa[0].metrics["syscalls/op"] != nil else {
            try requireOrSkip("the syscalls probe could not attach here: \(a.notes)")
        }
        let syscalls = try XCTUnwrap(
            lines.first { $0.hasPrefix("AbFlush/subscribers=4/messages=5000 ") && $0.contains(" syscalls/op ") },
            r.stdout)
        XCTAssertTrue(syscalls.contains("REGRESSION"), syscalls)
    }

    func testATargetAgainstItselfPasses() throws {
        let dir = tempDir()
        _ = try write(Self.flushScenario, in: dir)
        let r = try SurgeBinary.run(
            ["ab", "s.yaml", "--a", "batched", "--b", "batched", "--out", "runs", "-q", "--report", "report"], in: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("surge ab: OK"), r.stdout)
        let html = try String(contentsOfFile: "\(dir)/report/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("BenchmarkAbFlush") || html.contains("AbFlush"), html)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/report/ab.md"))
        if SurgeBinary.which("gnuplot") != nil {
            XCTAssertTrue(html.contains("<svg"), "the forest plot is inlined")
            // The raw rounds of both sides are drawn, not only their ratios.
            XCTAssertTrue(html.contains("A rounds") && html.contains("B rounds"), "raw A and B dots in the forest plot")
        }
    }

    /// A 0.5 ms handicap per message: decided after the first 6 rounds, long before --max-rounds.
    func testUntilDecidedStopsEarlyOnALargeChange() throws {
        let dir = tempDir()
        _ = try write(Self.flushScenario.replacingOccurrences(of: "messages: [5000]", with: "messages: [400]"), in: dir)
        let r = try SurgeBinary.run(
            [
                "ab", "s.yaml", "--a", "batched", "--b", "slow", "--until-decided", "--max-rounds", "14", "--budget",
                "3m",
                "--probes", "none", "--out", "runs", "-q",
            ], in: dir)
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("rounds: decided after 6 rounds"), r.stdout)
        XCTAssertEqual(try results(in: dir).a.cells[0].samples.count, 6)
    }

    /// SIGTERM after some rounds: the rounds both sides completed are still compared and judged (the
    /// verdict is printed, the cell noted as interrupted), and the exit status says interrupted (130).
    func testSIGTERMComparesTheRoundsAlreadyMeasured() throws {
        let dir = tempDir()
        _ = try write(Self.flushScenario.replacingOccurrences(of: "messages: [5000]", with: "messages: [400]"), in: dir)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SurgeBinary.require())
        process.arguments = ["ab", "s.yaml", "--a", "batched", "--b", "batched", "--rounds", "60", "--probes", "none",
                             "--out", "runs", "-q"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = PipeDrain.start(out)
        let stderr = PipeDrain.start(err)
        // Until B's file holds at least six rounds (a 95% interval needs six).
        let deadline = Date().addingTimeInterval(90)
        var rounds = 0
        while Date() < deadline, process.isRunning, rounds < 6 {
            usleep(100_000)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs")) ?? []
            guard let b = names.first(where: { $0.hasSuffix("-B.json") }),
                let run = try? RunResultCodec.read(path: "\(dir)/runs/\(b)")
            else { continue }
            rounds = run.cells.first?.samples.count ?? 0
        }
        guard rounds >= 6 else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return XCTFail("B had \(rounds) rounds after 90 s: \(stderr.text())")
        }
        kill(process.processIdentifier, SIGTERM)
        let stopBy = Date().addingTimeInterval(30)
        while process.isRunning && Date() < stopBy { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let text = stdout.text() + stderr.text()
        XCTAssertEqual(process.terminationStatus, 130, text)
        XCTAssertFalse(text.contains("nothing compared"), text)
        XCTAssertTrue(text.contains("surge ab: OK"), "the completed rounds are judged: \(text)")
        XCTAssertTrue(text.contains("the run was interrupted; compared over its complete rounds"), text)
    }

    /// One target, one switch flipped on B alone, probes on B alone: the switch is found and recorded,
    /// and only B's samples carry the probe's figures.
    func testPerSideOptionsAndProbes() throws {
        let dir = tempDir()
        _ = try write(Self.flushScenario.replacingOccurrences(of: "messages: [5000]", with: "messages: [400]"), in: dir)
        let bad = try SurgeBinary.run(["ab", "s.yaml", "--a", "batched", "--b", "batched", "--a-option", "flush"], in: dir)
        XCTAssertEqual(bad.status, 1, bad.stdout + bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--a-option 'flush': expected key=value"), bad.stderr)
        let badProbe = try SurgeBinary.run(
            ["ab", "s.yaml", "--a", "batched", "--b", "batched", "--b-probes", "syscals"], in: dir)
        XCTAssertEqual(badProbe.status, 1, badProbe.stdout + badProbe.stderr)
        XCTAssertTrue(badProbe.stderr.contains("--b-probes"), badProbe.stderr)

        let r = try SurgeBinary.run(
            [
                "ab", "s.yaml", "--a", "batched", "--b", "batched", "--b-option", "handicap-ns=500000",
                "--a-probes", "none", "--b-probes", "syscalls", "--out", "runs", "-q",
            ], in: dir)
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("B = batched [handicap-ns=500000] [probes: syscalls]"), r.stdout)
        let (a, b) = try results(in: dir)
        XCTAssertEqual(b.ab?.b, "batched [handicap-ns=500000] [probes: syscalls]")
        XCTAssertEqual(a.ab?.a, "batched [probes: none]")
        XCTAssertTrue(a.cells[0].samples.allSatisfy { $0.metrics["syscalls/op"] == nil }, "A ran without probes")
        guard geteuid() == 0 else { try requireOrSkip("the syscalls probe needs root") }
        XCTAssertTrue(b.cells[0].samples.allSatisfy { $0.metrics["syscalls/op"] != nil }, "B ran with the syscalls probe")
    }

    func testOrderRandomRecordsItsSeed() throws {
        let dir = tempDir()
        _ = try write(Self.flushScenario, in: dir)
        let r = try SurgeBinary.run(
            [
                "ab", "s.yaml", "--a", "batched", "--b", "batched", "--rounds", "2", "--order", "random", "--seed",
                "99",
                "--probes", "none", "--out", "runs", "-q",
            ], in: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("seed 99"), r.stdout)
        let (a, _) = try results(in: dir)
        XCTAssertEqual(a.ab?.seed, 99)
        XCTAssertEqual(a.schedule?.order, "ab-random")
        // compare and report read the pair through its ab record: judged by rounds, as ab did.
        let file = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs").first { $0.hasSuffix("-A.json") })
        let compared = try SurgeBinary.run(["compare", "runs/\(file)"], in: dir)
        XCTAssertEqual(compared.status, 0, compared.stdout + compared.stderr)
        XCTAssertTrue(compared.stdout.contains("surge ab: OK"), compared.stdout)
        XCTAssertTrue(compared.stdout.contains("rounds (order, target pids)"), compared.stdout)
        let reported = try SurgeBinary.run(["report", "runs/\(file)", "--out", "rep"], in: dir)
        XCTAssertEqual(reported.status, 0, reported.stdout + reported.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/rep/index.html"))
    }

    func testUnknownTargetIsAClearError() throws {
        let dir = tempDir()
        _ = try write(Self.flushScenario, in: dir)
        let r = try SurgeBinary.run(["ab", "s.yaml", "--a", "batched", "--b", "nope", "--out", "runs"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(
            r.stderr.contains("'nope' is not a target of s.yaml (targets: batched, immediate, slow)"), r.stderr)
    }
}
