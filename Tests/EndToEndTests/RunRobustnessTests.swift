import Foundation
import Glibc
import SurgeResults
import SurgeTestKit
import XCTest

/// `surge run` stopped by a signal or losing its result file: what was measured is never lost, and
/// every message says what happened.
final class RunRobustnessTests: XCTestCase {
    /// SIGTERM mid-run: exit 130, the result file written with what was measured, and every message
    /// naming the signal that came (not "Ctrl-C").
    func testSIGTERMStopsTheRunKeepsWhatWasMeasuredAndSaysSo() throws {
        let surge = try SurgeBinary.require()
        let dir = SurgeBinary.tempDir("surge-interrupt")
        let scenario = """
            name: interrupt
            target: { component: broker }
            workload:
              { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: "{payload}", duration: 1s, rate: 2000 }
            matrix: { payload: [16, 32, 64] }
            warmup: 0s
            repetitions: 3
            probes: []
            """
        try scenario.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: surge)
        p.arguments = ["run", "s.yaml", "--out", "runs", "--quiet"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Wait for the first measured repetition to be in the result file, then send SIGTERM.
        let deadline = Date().addingTimeInterval(60)
        var file: String?
        while Date() < deadline, p.isRunning {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs")) ?? []
            if let json = names.first(where: { $0.hasSuffix(".json") }),
                let text = try? String(contentsOfFile: "\(dir)/runs/\(json)", encoding: .utf8),
                text.contains("\"repetition\"")
            {
                file = "\(dir)/runs/\(json)"
                break
            }
            usleep(50_000)
        }
        guard let path = file else {
            p.waitUntilExit()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return XCTFail("no repetition was written within 60 s (exit \(p.terminationStatus)): \(stderr)")
        }
        kill(p.processIdentifier, SIGTERM)
        let stopBy = Date().addingTimeInterval(30)
        while p.isRunning && Date() < stopBy { usleep(50_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            XCTFail("surge run did not stop within 30 s of SIGTERM")
        }
        p.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 130, stderr)
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
        let surge = try SurgeBinary.require()
        let dir = SurgeBinary.tempDir("surge-unwritable")
        let scenario = """
            name: writes
            target: { component: broker }
            workload:
              { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: "{payload}", duration: 300ms, rate: 2000 }
            matrix: { payload: [16, 32, 64] }
            warmup: 0s
            repetitions: 3
            probes: []
            """
        try scenario.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: surge)
        p.arguments = ["run", "s.yaml", "--out", "runs", "--quiet"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        var replaced: String?
        while Date() < deadline, p.isRunning, replaced == nil {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs")) ?? []
            if let json = names.first(where: { $0.hasSuffix(".json") }),
                let text = try? String(contentsOfFile: "\(dir)/runs/\(json)", encoding: .utf8),
                text.contains("\"repetition\"")
            {
                let path = "\(dir)/runs/\(json)"
                try FileManager.default.removeItem(atPath: path)
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                replaced = path
            }
            usleep(20_000)
        }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let path = try XCTUnwrap(replaced, "no repetition was written within 60 s: \(stderr)")
        XCTAssertEqual(p.terminationStatus, 1, stderr)
        XCTAssertTrue(stderr.contains("the result file could not be written (the run goes on"), stderr)
        XCTAssertTrue(stderr.contains("Is a directory"), stderr)
        XCTAssertTrue(stdout.contains("BenchmarkWrites/payload=64") || stdout.contains("Writes/payload=64"), stdout)
        let saved = try XCTUnwrap(
            stderr.range(of: #"saved in (\S+\.json) instead"#, options: .regularExpression).map {
                String(stderr[$0].dropFirst("saved in ".count).dropLast(" instead".count))
            }, stderr)
        XCTAssertNotEqual(saved, path)
        defer { try? FileManager.default.removeItem(atPath: saved) }
        let run = try RunResultCodec.read(path: saved)
        XCTAssertEqual(run.cells.count, 3)
        XCTAssertEqual(run.cells.map { $0.samples.count }, [3, 3, 3], "every repetition kept")
    }
}
