import Foundation
import XCTest

@testable import SurgeScenario

/// `order`, `target-lifetime` and `build`: parsed, defaulted, and refused with file:line:key when wrong.
final class ScheduleKeysTests: XCTestCase {
    let base = """
        name: x
        target: { component: broker }
        workload: { kind: nats.pubsub }

        """

    func testDefaultsAndValues() throws {
        let plain = try ScenarioLoader.parse(base, file: "s.yaml")
        XCTAssertEqual(plain.order, .sequential)
        XCTAssertNil(plain.targetLifetime)
        XCTAssertNil(plain.build)
        let s = try ScenarioLoader.parse(
            base + """
                order: interleaved
                target-lifetime: run
                build: { repository: ../wisp, command: [cargo, build, --release] }
                """, file: "s.yaml")
        XCTAssertEqual(s.order, .interleaved)
        XCTAssertEqual(s.targetLifetime, .run)
        XCTAssertEqual(s.build?.repository, "../wisp")
        XCTAssertEqual(s.build?.command, ["cargo", "build", "--release"])
    }

    func testBadValuesNameLineAndKey() {
        XCTAssertEqual(
            errors(base + "order: shuffled\n"),
            [
                "s.yaml:4:8: error: order: 'shuffled' is not an order; expected one of sequential, interleaved, random"
            ])
        XCTAssertEqual(
            errors(base + "target-lifetime: forever\n"),
            [
                "s.yaml:4:18: error: target-lifetime: 'forever' is not a lifetime; expected visit or run"
            ])
        let missing = errors(base + "build: { repository: . }\n")
        XCTAssertEqual(missing.count, 1)
        XCTAssertTrue(missing[0].contains("build.command: missing"), "\(missing)")
    }

    func testBuildPlaceholderNeedsABuildSection() throws {
        let yaml = """
            name: x
            target: { command: ["{build}/wisp", "--port", "{port}"] }
            workload: { kind: nats.pubsub }

            """
        let e = errors(yaml)
        XCTAssertEqual(e.count, 1)
        XCTAssertTrue(e[0].hasPrefix("s.yaml:2:21: error: target.command[0]: {build} names the built worktree"), "\(e)")
        let ok = try ScenarioLoader.parse(yaml + "build: { repository: ., command: [make] }\n", file: "s.yaml")
        XCTAssertEqual(
            ok.cells()[0].target.kind, .command(["{build}/wisp", "--port", "{port}"]), "filled per side by surge ab")
    }

    private func errors(_ yaml: String) -> [String] {
        do {
            _ = try ScenarioLoader.parse(yaml, file: "s.yaml")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }
}
