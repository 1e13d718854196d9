import Foundation
import XCTest
@testable import SurgeScenario

/// `target:` inside a workload: each workload runs against the entry of `targets:` it names, so one
/// scenario mixes protocols without a `target` axis; every misuse is an error naming file, line and key.
final class WorkloadTargetTests: XCTestCase {
    let mixed = """
        name: mixed
        targets:
          nats: { component: broker, options: { flush: "{flush}" } }
          web: { component: http }
        workloads:
          pub: { kind: nats.pubsub, target: nats, messages: 100 }
          get: { kind: http.closed, target: web, requests: 100 }
          own: { kind: command, command: ["true"] }
        matrix:
          workload: [pub, get, own]
          flush: [immediate, batched]
        exclude: [ { workload: get, flush: batched }, { workload: own, flush: batched } ]
        """

    func testEachCellRunsAgainstTheTargetItsWorkloadNames() throws {
        let cells = try ScenarioLoader.parse(mixed, file: "m.yaml").cells()
        XCTAssertEqual(cells.map(\.name), [
            "BenchmarkMixed/workload=pub/flush=immediate", "BenchmarkMixed/workload=pub/flush=batched",
            "BenchmarkMixed/workload=get/flush=immediate", "BenchmarkMixed/workload=own/flush=immediate",
        ])
        XCTAssertEqual(cells.map(\.target.name), ["nats", "nats", "web", "none"])
        XCTAssertEqual(cells[0].target.options["flush"], "immediate")
        XCTAssertEqual(cells[1].target.options["flush"], "batched")
        guard case .component("http") = cells[2].target.kind else { return XCTFail("\(cells[2].target.kind)") }
        guard case .workloadOwned = cells[3].target.kind else { return XCTFail("\(cells[3].target.kind)") }
        XCTAssertNil(cells[0].workload["target"], "target is not passed to the workload as a parameter")
    }

    func testAnUnknownTargetNameIsAnErrorAtItsLine() {
        let e = scenarioErrors(mixed.replacingOccurrences(of: "target: web", with: "target: webb"))
        XCTAssertEqual(e.count, 1, "\(e)")
        XCTAssertTrue(
            e.first?.hasPrefix("bad.yaml:7:37: error: workloads.get.target: 'webb' is not one of targets: nats, web")
                ?? false, "\(e)")
    }

    func testATargetAxisAlongsideWorkloadTargetsIsAnError() {
        let yaml = mixed.replacingOccurrences(
            of: "  flush: [immediate, batched]", with: "  flush: [immediate, batched]\n  target: [nats, web]")
        let e = scenarioErrors(yaml)
        XCTAssertTrue(e.contains {
            $0.contains("error: matrix.target:")
                && $0.contains("name their own targets (workloads.pub.target at line 6)")
        }, "\(e)")
    }

    func testWhenSomeWorkloadsNameTargetsEveryOneMust() {
        let e = scenarioErrors(mixed.replacingOccurrences(of: ", target: web", with: ""))
        XCTAssertEqual(e.count, 1, "\(e)")
        XCTAssertTrue(e.first?.contains("bad.yaml:7:") ?? false, "\(e)")
        XCTAssertTrue(
            e.first?.contains("workloads.get.target: missing; when some workloads name their target") ?? false,
            "\(e)")
    }

    func testAWorkloadTargetWithASingleTargetIsAnError() {
        let e = scenarioErrors("""
            name: one
            target: { component: broker }
            workloads:
              pub: { kind: nats.pubsub, target: broker }
            matrix: { workload: [pub] }
            """)
        XCTAssertEqual(e.count, 1, "\(e)")
        XCTAssertTrue(e.first?.hasPrefix(
            "bad.yaml:4:37: error: workloads.pub.target: names one of `targets:`, "
                + "but this scenario has a single `target:` (line 2)") ?? false, "\(e)")
    }

    func testAnEmptyOrListTargetIsAnError() {
        let e = scenarioErrors(mixed.replacingOccurrences(of: "target: web", with: "target: [web]"))
        XCTAssertTrue(e.contains {
            $0.contains("workloads.get.target: expected the name of one of `targets:`, found a list")
        }, "\(e)")
    }

    func testSeveralTargetsWithoutAxisOrWorkloadTargetsSaysBothWays() {
        let e = scenarioErrors(mixed.replacingOccurrences(of: ", target: nats", with: "")
            .replacingOccurrences(of: ", target: web", with: ""))
        XCTAssertTrue(e.contains {
            $0.contains("add the matrix axis `target: [nats, web]`")
                && $0.contains("or give each workload its `target:`")
        }, "\(e)")
    }

    /// The shipped smoke scenario runs every workload kind but `command` against its own component.
    func testSmokeScenarioCoversEveryBuiltInWorkloadKind() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let s = try ScenarioLoader.load(path: root.appendingPathComponent("Scenarios/smoke.yaml").path)
        let cells = s.cells()
        let kinds = Set(cells.map(\.workloadKind))
        XCTAssertEqual(kinds, [
            "nats.pubsub", "nats.request", "http.closed", "http.open", "mesh.churn", "nats.pipeline", "micro",
        ])
        let components: [String: String] = [
            "nats.pubsub": "broker", "nats.request": "broker", "http.closed": "http", "http.open": "http",
            "mesh.churn": "mesh-node", "nats.pipeline": "stream", "micro": "router",
        ]
        for c in cells {
            guard case .component(let name) = c.target.kind else { return XCTFail("\(c.name): \(c.target.kind)") }
            XCTAssertEqual(name, components[c.workloadKind], c.name)
        }
        XCTAssertTrue(cells.contains { $0.workload["rate"] != nil && $0.workloadKind == "nats.pubsub" },
                      "smoke offers a rate-limited pub/sub cell, whose latency is not queueing time")
    }
}
