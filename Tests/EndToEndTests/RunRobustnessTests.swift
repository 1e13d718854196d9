import Foundation
import Glibc
import SurgeResults
import SurgeTestKit
import XCTest

/// `surge run` stopped by a signal or losing its result file: what was measured is never lost, and
/// every message says what happened.
final class RunRobustnessTests: XCTestCase {
    /// A running `surge run` of three cells × three rate-limited repetitions on the built-in broker.
    struct RunningSurge {
        let process: Process
        let dir: String
        let out = Pipe()
        let err = Pipe()

        init(window: String, name: String) throws {
            dir = SurgeBinary.tempDir("surge-\(name)")
            let scenario = """
                name: \(name)
                target: { component: broker }
                workload:
                  { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: "{payload}", duration: \(window),
                    rate: 2000 }
                matrix: { payload: [16, 32, 64] }
                warmup: 0s
                repetitions: 3
                probes: []
                """
            try scenario.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
            process = Process()
            process.executableURL = URL(fileURLWithPath: try SurgeBinary.require())
            process.arguments = ["run", "s.yaml", "--out", "runs", "--quiet"]
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        /// The result file once it holds a measured repetition (nil after 60 s or when surge exited).
        func firstRepetition() -> String? {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, process.isRunning {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs")) ?? []
                if let json = names.first(where: { $0.hasSuffix(".json") }),
                    let text = try? String(contentsOfFile: "\(dir)/runs/\(json)", encoding: .utf8),
                    text.contains("\"repetition\"")
                {
                    return "\(dir)/runs/\(json)"
                }
                usleep(20_000)
            }
            return nil
        }

        /// Standard output and error once the process has ended (killed after `timeout` seconds).
        func finish(timeout: TimeInterval = 60) -> (stdout: String, stderr: String, killed: Bool) {
            let stdout = PipeDrain.start(out)
            let stopBy = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < stopBy { usleep(50_000) }
            let killed = process.isRunning
            if killed { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return (stdout.text(), String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                    killed)
        }
    }

    /// SIGTERM mid-run: exit 130, the result file written with what was measured, and every message
    /// naming the signal that came (not "Ctrl-C").
    func testSIGTERMStopsTheRunKeepsWhatWasMeasuredAndSaysSo() throws {
        let surge = try RunningSurge(window: "1s", name: "interrupt")
        guard let path = surge.firstRepetition() else {
            return XCTFail("no repetition was written within 60 s: \(surge.finish().stderr)")
        }
        kill(surge.process.processIdentifier, SIGTERM)
        let (_, stderr, killed) = surge.finish(timeout: 30)
        XCTAssertFalse(killed, "surge run did not stop within 30 s of SIGTERM")
        XCTAssertEqual(surge.process.terminationStatus, 130, stderr)
        XCTAssertTrue(stderr.contains("interrupted (SIGTERM)"), stderr)
        XCTAssertFalse(stderr.contains("Ctrl-C)"), stderr)
        let run = try RunResultCodec.read(path: path)
        XCTAssertEqual(run.status, .interrupted)
        XCTAssertGreaterThanOrEqual(run.cells.flatMap(\.samples).count, 1, "what was measured is kept")
        let reasons = run.cells.compactMap(\.reason)
        XCTAssertFalse(reasons.isEmpty, "the cells not finished say why")
        XCTAssertTrue(reasons.allSatisfy { $0.contains("SIGTERM") }, "\(reasons)")
    }

    /// The result file's path turns into a directory mid-run: the failed writes are reported, the run
    /// goes on, and the final result is saved elsewhere and named, with exit 1 and the table printed.
    func testAResultFileThatCannotBeWrittenIsReportedAndTheRunSavedElsewhere() throws {
        let surge = try RunningSurge(window: "300ms", name: "writes")
        guard let path = surge.firstRepetition() else {
            return XCTFail("no repetition was written within 60 s: \(surge.finish().stderr)")
        }
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let (stdout, stderr, killed) = surge.finish()
        XCTAssertFalse(killed, "surge run did not end within 60 s")
        XCTAssertEqual(surge.process.terminationStatus, 1, stderr)
        XCTAssertTrue(stderr.contains("the result file could not be written (the run goes on"), stderr)
        XCTAssertTrue(stderr.contains("Is a directory"), stderr)
        XCTAssertTrue(stdout.contains("Writes/payload=64"), stdout)
        let saved = try XCTUnwrap(
            stderr.range(of: #"saved in (\S+\.json) instead"#, options: .regularExpression).map {
                String(stderr[$0].dropFirst("saved in ".count).dropLast(" instead".count))
            }, stderr)
        defer { try? FileManager.default.removeItem(atPath: saved) }
        XCTAssertNotEqual(saved, path)
        let run = try RunResultCodec.read(path: saved)
        XCTAssertEqual(run.cells.map { $0.samples.count }, [3, 3, 3], "every repetition kept")
    }
}
