import SurgeScenario
import XCTest

/// A scenario of `command` workloads needs no target; `env:` may be a mapping.
final class CommandScenarioTests: XCTestCase {
    func testCommandWorkloadNeedsNoTargetAndTakesAnEnvMapping() throws {
        let s = try ScenarioLoader.parse("""
            name: go
            workload:
              kind: command
              command: ["go", "test", "-bench", "^Benchmark{bench}$"]
              env: { GOTOOLCHAIN: local, GOFLAGS: "" }
            matrix: { bench: [Fill, Upper] }
            """, file: "go.yaml")
        XCTAssertEqual(s.targets.map(\.kind), [.workloadOwned])
        let cells = s.cells()
        XCTAssertEqual(cells.map(\.target.kind), [.workloadOwned, .workloadOwned])
        XCTAssertEqual(cells[1].workload["command"], .list(["go", "test", "-bench", "^BenchmarkUpper$"]))
        XCTAssertEqual(cells[0].workload["env"], .list(["GOTOOLCHAIN=local", "GOFLAGS="]))
    }

    func testOtherWorkloadsStillNeedATarget() {
        do {
            _ = try ScenarioLoader.parse("name: x\nworkload: { kind: nats.pubsub }\n", file: "t.yaml")
            XCTFail("a nats.pubsub scenario without a target must not load")
        } catch {
            XCTAssertTrue(error.diagnostics.contains { $0.description.contains("target: missing") }, "\(error.diagnostics)")
        }
    }

    func testAMappingIsRejectedForOtherKeys() {
        do {
            _ = try ScenarioLoader.parse("name: x\nworkload: { kind: command, command: [a], format: { a: b } }\n", file: "m.yaml")
            XCTFail("format: a mapping must not load")
        } catch {
            XCTAssertTrue(error.diagnostics.contains { $0.description.contains("expected a value or a list, found a mapping") })
        }
    }
}
