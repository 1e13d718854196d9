import Foundation
import Glibc
import SurgeResults
import SurgeTestKit
import XCTest

/// SIGTERM in the middle of `surge run`: exit 130, the result file written with what was measured,
/// and every message naming the signal that came (not "Ctrl-C").
final class RunInterruptTests: XCTestCase {
    func testSIGTERMStopsTheRunKeepsWhatWasMeasuredAndSaysSo() throws {
        let surge = try SurgeBinary.require()
        let dir = SurgeBinary.tempDir("surge-interrupt")
        let scenario = """
            name: interrupt
            target: { component: broker }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: "{payload}", duration: 1s, rate: 2000 }
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
}
