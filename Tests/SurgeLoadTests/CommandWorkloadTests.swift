import Foundation
import NIOPosix
import SurgeLoad
import SurgeTestKit
import XCTest

/// The `command` workload against real programs: Go's own benchmarks from the fixture package, and
/// a Python program printing JSON lines.
final class CommandWorkloadTests: XCTestCase {
    private static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gobench").path

    private func run(_ values: [String: WorkloadParameters.Value]) async throws -> WorkloadOutcome {
        let workload = try CommandWorkload(parameters: WorkloadParameters(values))
        let group = MultiThreadedEventLoopGroup.singleton
        let session = try await workload.makeSession(endpoints: [], group: group)
        let outcome = try await session.run(.measure) { _ in }
        await session.close()
        return outcome
    }

    private func python(_ script: String) throws -> [String: WorkloadParameters.Value] {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            try requireOrSkip("python3 is not installed")
        }
        return ["command": .list(["python3", "-c", script])]
    }

    func testIngestsGoBenchmarksFromTheFixture() async throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        guard path.contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/go") }) else {
            try requireOrSkip("go is not installed (Scripts/setup installs golang-go)")
        }
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("surge-gobench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: temp) }
        let base: [String: WorkloadParameters.Value] = [
            "command": .list(["go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", "500x", "-count", "2", "."]),
            "directory": .scalar(Self.fixture),
            "env": .list(["GOCACHE=\(temp)/cache", "GOPATH=\(temp)/path", "GOTOOLCHAIN=local", "GOFLAGS="]),
        ]
        var fill = base
        fill["benchmark"] = .scalar("BenchmarkFill")
        let outcome = try await run(fill)
        XCTAssertEqual(outcome.failures, [])
        XCTAssertEqual(outcome.metrics["allocs/op"], 1, "Fill allocates one buffer per op")
        XCTAssertEqual(outcome.metrics["B/op"], 64)
        XCTAssertGreaterThan(outcome.metrics["ns/op"] ?? 0, 0)
        XCTAssertEqual(outcome.operations, 1000, "two runs of 500 iterations")
        XCTAssertGreaterThan(outcome.metrics["cmd-cpu-ns"] ?? 0, 0, "go's process tree used CPU")

        var upper = base
        upper["benchmark"] = .scalar("Upper")
        let upperOutcome = try await run(upper)
        XCTAssertEqual(upperOutcome.metrics["allocs/op"], 0)

        let both = try await run(base)
        XCTAssertEqual(both.failures.count, 1)
        XCTAssertTrue(both.failures[0].contains("2 benchmarks (Fill-"), both.failures[0])
    }

    func testIngestsJSONLinesProgram() async throws {
        var values = try python("""
            print("> bench@1.0.0 bench")
            print('{"name": "parse", "metric": "ns/op", "value": 800, "iterations": 1000}')
            print('{"name": "parse", "metric": "ns/op", "value": 900, "iterations": 1000}')
            print('{"name": "parse", "metric": "heap-B/op", "value": 128}')
            print('{"name": "other", "metric": "ns/op", "value": 5}')
            """)
        values["benchmark"] = .scalar("parse")
        values["format"] = .scalar("json-lines")
        let outcome = try await run(values)
        XCTAssertEqual(outcome.failures, [])
        XCTAssertEqual(outcome.metrics["ns/op"], 850, "two results of one metric are averaged")
        XCTAssertEqual(outcome.metrics["heap-B/op"], 128)
        XCTAssertEqual(outcome.operations, 1000)
    }

    func testBadOutputNamesItsLine() async throws {
        let bad = try await run(python("print('ok')\nprint('{\"name\": \"x\", \"metric\": \"ns/op\", \"value\": \"fast\"}')"))
        XCTAssertEqual(bad.failures.count, 1)
        XCTAssertTrue(bad.failures.first?.contains("output line 2: \"value\" of x ns/op") ?? false, "\(bad.failures)")

        let go = try await run(python("print('BenchmarkX-2 100 12.5')"))
        XCTAssertTrue(go.failures.first?.contains("output line 1: missing units") ?? false, "\(go.failures)")

        let empty = try await run(python("print('nothing here')"))
        XCTAssertTrue(empty.failures.first?.contains("no Go benchmark lines and no JSON lines") ?? false)

        let exit = try await run(python("import sys; sys.stderr.write('boom\\n'); sys.exit(3)"))
        XCTAssertTrue(exit.failures.first?.contains("exited with status 3; its last stderr lines: boom") ?? false,
                      "\(exit.failures)")
    }

    func testRejectsBadParameters() {
        XCTAssertThrowsError(try CommandWorkload(parameters: WorkloadParameters([:]))) {
            XCTAssertTrue("\($0)".hasPrefix("workload.command: missing"), "\($0)")
        }
        let env = WorkloadParameters(["command": .list(["true"]), "env": .list(["NOEQUALS"])])
        XCTAssertThrowsError(try CommandWorkload(parameters: env)) { XCTAssertTrue("\($0)".contains("workload.env")) }
    }
}
