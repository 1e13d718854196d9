import Foundation
import SurgeResults
import SurgeTestKit
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `surge serve` and `surge run` as processes: signals, ports and result files (issue 11 points 7, 8).
final class ServeLifecycleTests: XCTestCase {
    /// A running `surge serve`, its ready line read.
    struct Served {
        var process: Process
        var ready: [String: Any]
        var port: Int { ready["port"] as? Int ?? 0 }
    }

    func serve(_ args: [String]) throws -> Served {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try SurgeBinary.require())
        p.arguments = ["serve"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let ready = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
            ready["ready"] as? Bool == true
        else {
            p.terminate()
            p.waitUntilExit()
            throw RawTCPConnection.Failure(description: "no ready line: \(String(decoding: line, as: UTF8.self))")
        }
        return Served(process: p, ready: ready)
    }

    /// Waits up to `seconds` for the process to end; kills it (and returns false) if it does not.
    func ends(_ p: Process, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return false
        }
        return true
    }

    func testServeStopsOnASignalSentRightAfterItsReadyLine() throws {
        var slowest = 0.0
        for i in 0..<30 {
            let served = try serve(["broker"])
            let sent = Date()
            kill(served.process.processIdentifier, i % 2 == 0 ? SIGTERM : SIGINT)
            XCTAssertTrue(ends(served.process, within: 10), "round \(i): still running 10 s after the signal")
            slowest = max(slowest, Date().timeIntervalSince(sent))
            XCTAssertEqual(
                served.process.terminationReason, .exit, "round \(i): ended by its handler, not by the signal")
            XCTAssertEqual(served.process.terminationStatus, 0, "round \(i)")
        }
        print("30 serve/stop rounds: slowest exit \(String(format: "%.3f", slowest)) s after the signal")
    }

    func testServeRejectsAPortOutOfRangeNamingTheOption() throws {
        for (option, value) in [("--port", "70000"), ("--stats-port", "65536")] {
            let r = try SurgeBinary.run(["serve", "broker", option, value])
            XCTAssertNotEqual(r.status, 0, "\(option) \(value) accepted: \(r.stdout)")
            XCTAssertTrue(r.stderr.contains("\(option) \(value): expected a port in 0...65535"), r.stderr)
            XCTAssertFalse(r.stdout.contains("ready"), r.stdout)
        }
    }

    func testAPortInUseIsNamed() throws {
        let first = try serve(["broker"])
        defer {
            first.process.terminate()
            first.process.waitUntilExit()
        }
        for component in ["broker", "http", "mesh-node"] {
            let r = try SurgeBinary.run(["serve", component, "--port", "\(first.port)"])
            XCTAssertEqual(r.status, 1, r.stdout)
            XCTAssertTrue(r.stderr.contains("cannot listen on the client port 127.0.0.1:\(first.port): "), r.stderr)
            XCTAssertTrue(r.stderr.contains("in use"), r.stderr)
        }
        let stats = try XCTUnwrap(first.ready["stats_port"] as? Int)
        let r = try SurgeBinary.run(["serve", "http", "--stats-port", "\(stats)"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cannot listen on the stats port 127.0.0.1:\(stats): "), r.stderr)
    }

    func testTwoRunsWithTheSameOutStartedTogetherKeepBothResults() throws {
        let dir = SurgeBinary.tempDir("surge-two-runs")
        try """
        name: twin
        target: { component: broker }
        workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 16, messages: 500 }
        warmup: 0s
        repetitions: 1
        """.write(toFile: "\(dir)/twin.yaml", atomically: true, encoding: .utf8)
        let runs = (0..<2).map { _ in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: SurgeBinary.path ?? "/nonexistent")
            p.arguments = ["run", "twin.yaml", "--out", "runs", "--quiet", "--no-benchfmt"]
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        _ = try SurgeBinary.require()
        for p in runs { try p.run() }
        for p in runs {
            XCTAssertTrue(ends(p, within: 120))
            XCTAssertEqual(p.terminationStatus, 0)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs").filter { $0.hasSuffix(".json") }
            .sorted()
        XCTAssertEqual(files.count, 2, "\(files)")
        let ids = try files.map { try RunResultCodec.read(path: "\(dir)/runs/\($0)").runID }
        XCTAssertEqual(Set(ids).count, 2, "distinct run ids: \(ids)")
        for (file, id) in zip(files, ids) { XCTAssertEqual(file, "\(id).json") }
    }
}
