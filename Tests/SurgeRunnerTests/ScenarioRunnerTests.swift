import Foundation
import SurgeResults
import SurgeRunner
import SurgeScenario
import SurgeTestKit
import XCTest

/// The runner end to end: real `surge serve broker` children, real NATS traffic over loopback.
final class ScenarioRunnerTests: XCTestCase {
    func testTinyScenarioWritesAValidResultFile() async throws {
        let (runner, result) = try await RunnerTestSupport.run("""
            name: tiny
            target: { component: broker, options: { flush: "{flush}" } }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 2, payload: 64, messages: 3000 }
            matrix: { flush: [immediate, batched] }
            warmup: 100ms
            repetitions: 3
            """)
        XCTAssertEqual(result.status, .complete)
        XCTAssertEqual(result.cells.count, 2)
        let reread = try RunResultCodec.read(path: runner.resultPath)
        XCTAssertEqual(reread.cells, result.cells, "the file on disk holds the final result")
        XCTAssertEqual(reread.status, .complete)
        XCTAssertEqual(reread.schema, "surge.run/v1")
        XCTAssertEqual(reread.cells.map(\.name), ["BenchmarkTiny/flush=immediate", "BenchmarkTiny/flush=batched"])
        for cell in reread.cells {
            XCTAssertEqual(cell.status, .ok, cell.reason ?? "")
            XCTAssertEqual(cell.samples.count, 3)
            for s in cell.samples {
                XCTAssertEqual(s.operations, 6000, "1 publisher × 3000 messages × 2 subscribers delivered")
                XCTAssertGreaterThan(s.metrics["msgs/s"] ?? 0, 0)
                XCTAssertNotNil(s.metrics["p99-ns"])
                XCTAssertNotNil(s.latencyHistogram.flatMap(HistogramCodec.decode))
                // The broker's own counters over the window: 3000 published in, 6000 delivered out.
                XCTAssertEqual(s.targetCounters?["msgs_in"], 3000)
                XCTAssertEqual(s.targetCounters?["msgs_out"], 6000)
            }
        }
        XCTAssertEqual(reread.host.cores, ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertFalse(reread.scenario.sha256.isEmpty)
    }

    func testTargetKilledMidCellFailsThatCellOnly() async throws {
        let (runner, result) = try await RunnerTestSupport.run("""
            name: crash
            target: { component: broker }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 64, duration: "{duration}" }
            matrix: { duration: [4s, 300ms] }
            warmup: 0s
            repetitions: 2
            """) { runner in
            // Kill the first cell's target one second into its first repetition.
            try? await Task.sleep(nanoseconds: 1_000_000_000)
            if let pid = runner.currentTargetPID { kill(pid, SIGKILL) }
        }
        XCTAssertEqual(result.cells.count, 2)
        XCTAssertEqual(result.cells[0].status, .failed)
        XCTAssertTrue(result.cells[0].reason?.contains("killed by signal 9") ?? false, result.cells[0].reason ?? "no reason")
        XCTAssertEqual(result.cells[1].status, .ok, result.cells[1].reason ?? "")
        XCTAssertEqual(result.cells[1].samples.count, 2)
        XCTAssertEqual(try RunResultCodec.read(path: runner.resultPath).cells[0].status, .failed)
    }

    func testHungTargetTimesOut() async throws {
        let (_, result) = try await RunnerTestSupport.run("""
            name: hang
            target: { component: broker }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 64, duration: 10s }
            warmup: 0s
            repetitions: 1
            timeout: 2s
            """) { runner in
            try? await Task.sleep(nanoseconds: 500_000_000)
            if let pid = runner.currentTargetPID { kill(pid, SIGSTOP) }
        }
        XCTAssertEqual(result.cells[0].status, .failed)
        XCTAssertTrue(result.cells[0].reason?.contains("timed out") ?? false, result.cells[0].reason ?? "no reason")
    }

    func testExternalCommandThatNeverListensIsNotReady() async throws {
        let (_, result) = try await RunnerTestSupport.run("""
            name: never
            target: { command: ["sleep", "30"], ready-timeout: 1s }
            workload: { kind: nats.pubsub, messages: 10 }
            repetitions: 1
            """)
        XCTAssertEqual(result.cells[0].status, .failed)
        let reason = result.cells[0].reason ?? ""
        XCTAssertTrue(reason.hasPrefix("the target was not ready after 1.0 s (nothing accepted connections on 127.0.0.1:"), reason)
    }

    func testExternalCommandThatExitsReportsItsStderr() async throws {
        let (_, result) = try await RunnerTestSupport.run("""
            name: dies
            target: { command: ["sh", "-c", "echo cannot bind port {port} >&2; exit 3"] }
            workload: { kind: nats.pubsub, messages: 10 }
            repetitions: 1
            """)
        XCTAssertEqual(result.cells[0].status, .failed)
        XCTAssertEqual(result.cells[0].reason, "the target exited with status 3 before it was ready")
        XCTAssertTrue(result.cells[0].targetStderr?.first?.hasPrefix("cannot bind port ") ?? false, "\(result.cells[0].targetStderr ?? [])")
    }

    func testExternalNatsServer() async throws {
        guard RunnerTestSupport.which("nats-server") != nil else {
            try requireOrSkip("nats-server is not installed (Scripts/setup installs it from Debian's packages)")
        }
        let (_, result) = try await RunnerTestSupport.run("""
            name: ext
            targets:
              nats-server: { command: ["nats-server", "-a", "127.0.0.1", "-p", "{port}"] }
              surge: { component: broker }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: "{payload}", messages: 5000 }
            matrix: { target: [nats-server, surge], payload: [16] }
            warmup: 100ms
            repetitions: 2
            """)
        XCTAssertEqual(result.cells.map(\.status), [.ok, .ok], result.cells.compactMap(\.reason).joined(separator: "; "))
        XCTAssertEqual(result.cells[0].samples.map(\.operations), [5000, 5000])
        XCTAssertNil(result.cells[0].samples[0].targetCounters, "an external program has no stats port")
        XCTAssertEqual(result.cells[1].samples[0].targetCounters?["msgs_in"], 5000)
    }
}

/// `cpus:` pins the target and the load generator.
final class CPUPinningTests: XCTestCase {
    func testTargetAndLoadArePinned() async throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else {
            try requireOrSkip("needs 2 CPUs to pin target and load apart; this machine has \(ProcessInfo.processInfo.activeProcessorCount)")
        }
        let seen = PinnedCPUs()
        let (_, result) = try await RunnerTestSupport.run("""
            name: pinned
            target: { component: broker }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 64, duration: 2s }
            warmup: 0s
            repetitions: 1
            cpus: { target: [0], load: [1] }
            """) { runner in
            try? await Task.sleep(nanoseconds: 800_000_000)
            if let pid = runner.currentTargetPID {
                seen.target = Self.allowedCPUs(of: "/proc/\(pid)/task")
            }
            seen.load = Self.allowedCPUs(of: "/proc/self/task")
        }
        XCTAssertEqual(result.cells[0].status, .ok, result.cells[0].reason ?? "")
        XCTAssertEqual(seen.target, ["0"], "every thread of the target on CPU 0")
        XCTAssertEqual(seen.load, ["1"], "every thread of the load generator on CPU 1")
        XCTAssertEqual(Self.allowedCPUs(of: "/proc/self/task"), ["0-1"], "the runner unpins itself after the run")
    }

    /// The distinct `Cpus_allowed_list` values of every thread under a /proc task directory.
    static func allowedCPUs(of taskDir: String) -> Set<String> {
        let tids = (try? FileManager.default.contentsOfDirectory(atPath: taskDir)) ?? []
        return Set(tids.compactMap { tid in
            (try? String(contentsOfFile: "\(taskDir)/\(tid)/status", encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
                .map { $0.split(separator: "\t").last.map(String.init) ?? "" }
        })
    }
}

final class PinnedCPUs: @unchecked Sendable {
    var target: Set<String> = []
    var load: Set<String> = []
}
