import Foundation
import Glibc
import XCTest

/// `surge run` end to end: costly methods only in the profile pass, always. A target whose own
/// process drops the preload library (a wrapper that execs it without LD_PRELOAD) gets no
/// allocation figures in the speed pass (never a silent 0, never uprobes there), the note once,
/// and its allocations counted by uprobes in the profile pass, tagged so.
final class ProbePassTests: XCTestCase {
    /// Runs a two-cell broker scenario whose target command starts with `prefix`; returns the result.
    func runScenario(prefix: [String], environment: [String: String] = [:]) throws -> [String: Any] {
        let surge = try surgeExecutable()
        let command = (prefix + [surge, "serve", "broker", "--host", "127.0.0.1", "--port", "{port}", "--stats-port", "0"])
            .map { "\"\($0)\"" }.joined(separator: ", ")
        let directory = NSTemporaryDirectory() + "surge-probe-pass-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let scenario = """
            name: wrapped
            target:
              command: [\(command)]
            workload:
              kind: nats.pubsub
              publishers: 1
              subscribers: 1
              payload: "{payload}"
              messages: 3000
            matrix:
              payload: [16, 64]
            warmup: 0s
            repetitions: 2
            timeout: 60s
            probes: [allocations, cpu]
            """
        try scenario.write(toFile: directory + "/wrapped.yaml", atomically: true, encoding: .utf8)
        let run = try runProgram(surge, ["run", directory + "/wrapped.yaml", "--out", directory],
                                 environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        XCTAssertEqual(run.status, 0, run.output + run.errors)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + XCTUnwrap(files.first)))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testWrappedTargetMovesAllocationsToTheProfilePass() throws {
        try Requirements.root("uprobes in the profile pass")
        let result = try runScenario(prefix: [try Fixture.build("strip_preload")])
        let notes = result["notes"] as? [String] ?? []
        XCTAssertEqual(notes.filter { $0.contains("does not have libSurgeAllocCounter.so mapped") }.count, 1, "\(notes)")
        for cell in result["cells"] as? [[String: Any]] ?? [] {
            let samples = cell["samples"] as? [[String: Any]] ?? []
            let speed = samples.filter { $0["pass"] as? String == "speed" }
            let profile = samples.filter { $0["pass"] as? String == "profile" }
            XCTAssertEqual(speed.count, 2, "\(cell["name"] ?? "")")
            XCTAssertEqual(profile.count, 2, "\(cell["name"] ?? "")")
            for sample in speed {
                let metrics = sample["metrics"] as? [String: Double] ?? [:]
                XCTAssertNil(metrics["allocs/op"], "allocations in the speed pass: \(metrics)")
                XCTAssertNotNil(metrics["msgs/s"])
                XCTAssertNotNil(metrics["cpu-ns/op"])
            }
            for sample in profile {
                let metrics = sample["metrics"] as? [String: Double] ?? [:]
                XCTAssertGreaterThan(metrics["allocs/op"] ?? 0, 0, "\(metrics)")
                XCTAssertNil(metrics["msgs/s"], "the profile pass reports probe figures only")
            }
            let methods = cell["probeMethods"] as? [String: String] ?? [:]
            XCTAssertEqual(methods["allocs/op"], "uprobe (profile pass)", "\(methods)")
            XCTAssertEqual(methods["cpu-ns/op"], "proc")
        }
    }

    /// Without the preload library the run says so once (not once per cell) and counts
    /// allocations with uprobes in the profile pass.
    func testMissingPreloadLibraryIsSaidOnce() throws {
        try Requirements.root("uprobes in the profile pass")
        let result = try runScenario(prefix: [], environment: ["SURGE_ALLOC_COUNTER_LIB": "/nonexistent/libSurgeAllocCounter.so"])
        let notes = result["notes"] as? [String] ?? []
        XCTAssertEqual(notes.filter { $0.contains("preload library is not available") }.count, 1, "\(notes)")
        for cell in result["cells"] as? [[String: Any]] ?? [] {
            let methods = cell["probeMethods"] as? [String: String] ?? [:]
            XCTAssertEqual(methods["allocs/op"], "uprobe (profile pass)", "\(methods)")
        }
    }
}
