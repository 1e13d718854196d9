import Foundation
import SurgeResults
import SurgeTestKit
import XCTest

/// Probes on a `command` workload's process tree, and external stream processors as command
/// targets beside a broker the runner starts: real programs, real probes, real traffic.
final class CommandProbesTests: XCTestCase {
    /// Tests/SurgeLoadTests/Fixtures (excluded from that target's sources).
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SurgeLoadTests/Fixtures")
    private static let goFixture = fixtures.appendingPathComponent("gobench").path

    private func requirePython() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            try requireOrSkip("python3 is not installed")
        }
    }

    /// A Python parent runs a Python child that makes 20000 getppid syscalls and allocates 8 MB:
    /// only probes that follow the command's tree see them. The command's own ns/op stays its own.
    func testProbesMeasureTheCommandsWholeProcessTree() async throws {
        try requirePython()
        let child = "import os; b = bytearray(8000000); [os.getppid() for _ in range(20000)]"
        let parent = "import json, subprocess, sys; subprocess.run([sys.executable, '-c', '\(child)'], check=True); "
            + "print(json.dumps(dict(name='x', metric='ns/op', value=42)))"
        let result = try await RunnerTestSupport.runSeed("""
            name: command-probed
            workload:
              kind: command
              command: ["/usr/bin/python3", "-c", "\(parent)"]
            warmup: 0
            repetitions: 2
            probes: [syscalls, allocations, cpu, memory, context-switches]
            """)
        let cell = try XCTUnwrap(result.cells.first)
        XCTAssertEqual(cell.status, .ok, cell.reason ?? "")
        XCTAssertEqual(cell.samples.count, 2)
        for s in cell.samples {
            XCTAssertEqual(s.metrics["ns/op"], 42, "the command's own figure, untouched by the probes")
            XCTAssertGreaterThanOrEqual(
                s.metrics["cmd-syscalls"] ?? 0, 20000, "the grandchild's syscalls: \(s.metrics)")
            XCTAssertLessThan(s.metrics["cmd-syscalls"] ?? .infinity, 200_000)
            XCTAssertGreaterThanOrEqual(s.metrics["cmd-alloc-bytes"] ?? 0, 8_000_000, "\(s.metrics) \(result.notes)")
            XCTAssertGreaterThan(s.metrics["cmd-allocs"] ?? 0, 0)
            XCTAssertGreaterThan(s.metrics["cmd-cpu-ns"] ?? 0, 0)
            XCTAssertGreaterThanOrEqual(s.metrics["cmd-peak-RSS-B"] ?? 0, 8_000_000)
            XCTAssertNotNil(s.metrics["cmd-ctxsw"])
            XCTAssertNil(s.metrics["syscalls/op"], "probe figures are per run, not per op")
        }
        let methods = cell.probeMethods ?? [:]
        XCTAssertEqual(methods["cmd-alloc-bytes"], "preload")
        XCTAssertEqual(methods["ns/op"], "command output")
        XCTAssertTrue(["bpf", "perf"].contains(methods["cmd-syscalls"] ?? ""), "\(methods)")
    }

    /// `go test -bench` on the fixture with probes: Go's ns/op and allocs/op from its output, the
    /// syscalls and CPU of the whole `go test` tree (compiler, linker, test binary) from the probes;
    /// allocations are refused by name, since Go's heap is not malloc's.
    func testGoBenchmarksGetTheirTreesSyscallsAndCPU() async throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        guard path.contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/go") }) else {
            try requireOrSkip("go is not installed (Scripts/setup installs golang-go)")
        }
        let result = try await RunnerTestSupport.runSeed("""
            name: go-probed
            workload:
              kind: command
              command: ["go", "test", "-run", "^$", "-bench", "^BenchmarkFill$", "-benchmem",
                        "-benchtime", "2000x", "."]
              directory: \(Self.goFixture)
              env: { GOTOOLCHAIN: local, GOFLAGS: "" }
              benchmark: Fill
            warmup: 1s
            repetitions: 1
            probes: [syscalls, cpu, allocations]
            """)
        let cell = try XCTUnwrap(result.cells.first)
        XCTAssertEqual(cell.status, .ok, cell.reason ?? "")
        let s = try XCTUnwrap(cell.samples.first)
        XCTAssertEqual(s.operations, 2000)
        XCTAssertEqual(s.metrics["allocs/op"], 1, "Go's own figure")
        XCTAssertGreaterThan(s.metrics["ns/op"] ?? 0, 0)
        XCTAssertGreaterThan(s.metrics["cmd-syscalls"] ?? 0, 100, "\(s.metrics) \(result.notes)")
        XCTAssertGreaterThan(s.metrics["cmd-cpu-ns"] ?? 0, 1_000_000)
        XCTAssertNil(s.metrics["cmd-allocs"])
        XCTAssertTrue(result.notes.contains { $0.contains("Go program") }, "\(result.notes)")
    }

    /// External stream processors as command targets: the runner starts a broker, fills in
    /// `{broker_port}`, waits for the processor's subscription, and `nats.pipeline` accounts for
    /// every output exactly. A Python mapper, `surge serve stream` run as a plain command, and a
    /// broken Python mapper that loses the kept orders whose seq is 3 modulo 7: the cell must fail
    /// with their count.
    func testExternalStreamProcessorsBesideARunnerStartedBroker() async throws {
        try requirePython()
        let mapper = Self.fixtures.appendingPathComponent("stream_mapper.py").path
        let result = try await RunnerTestSupport.runSeed("""
            name: stream-external
            targets:
              python:
                command: ["/usr/bin/python3", "\(mapper)", "{broker_port}", "{bug}"]
              surge:
                command: ["surge", "serve", "stream", "--port", "0", "--stats-port", "0",
                          "--broker", "127.0.0.1:{broker_port}", "-o", "mappings=preset:dynamic"]
            workload: { kind: nats.pipeline, messages: 2000, drop-every: 5, drain-timeout: 1s }
            matrix:
              target: [python, surge]
              bug: [none, skip-7th]
            exclude: [{ target: surge, bug: skip-7th }]
            warmup: 100ms
            repetitions: 2
            """)
        XCTAssertEqual(result.cells.count, 3)
        for cell in result.cells where !cell.name.contains("skip-7th") {
            XCTAssertEqual(cell.status, .ok, "\(cell.name): \(cell.reason ?? "") \(cell.targetStderr ?? [])")
            XCTAssertEqual(cell.samples.map(\.operations), [2000, 2000])
            XCTAssertNotNil(cell.samples.first?.metrics["p95-ns"])
        }
        let broken = try XCTUnwrap(result.cells.first { $0.name.contains("skip-7th") })
        XCTAssertEqual(broken.status, .failed)
        let lost = (0..<2000).filter { $0 % 7 == 3 && $0 % 5 != 4 }.count
        XCTAssertTrue(
            broken.reason?.contains("\(lost) of 1600 expected outputs lost") == true, broken.reason ?? "no reason")
    }

    /// A command target given `{broker_port}` that never subscribes is not ready: the cell fails
    /// after its ready-timeout, saying so, and the next cell still runs.
    func testAnExternalProcessorThatNeverSubscribesFailsItsCell() async throws {
        let result = try await RunnerTestSupport.runSeed("""
            name: stream-silent
            target:
              command: ["/bin/sleep", "{secs}", "{broker_port}"]
              ready-timeout: 1s
            workload: { kind: nats.pipeline, messages: 100 }
            matrix: { secs: [30, 31] }
            warmup: 0
            repetitions: 1
            """)
        XCTAssertEqual(result.cells.map(\.status), [.failed, .failed])
        for cell in result.cells {
            XCTAssertTrue(cell.reason?.contains("made no subscription on the broker") == true, cell.reason ?? "")
        }
    }
}
