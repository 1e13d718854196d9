import Foundation
import XCTest
@testable import SurgeScenario

final class ScenarioLoaderTests: XCTestCase {
    let fanout = """
        name: broker-fanout
        description: fan-out cost
        target:
          component: broker
          options: { flush: "{flush}" }
        workload:
          kind: nats.pubsub
          publishers: "{publishers}"
          subscribers: "{subscribers}"
          payload: "{payload}"
          messages: 1000
        matrix:
          publishers: [1, 4]
          subscribers: [0, 1, 8]
          payload: [16, 1024]
          flush: [immediate, batched]
        exclude: [ { publishers: 4, subscribers: 8 } ]
        warmup: 500ms
        repetitions: 3
        thresholds: { "msgs/s": 3%, "allocs/op": 0% }
        """

    func testMatrixExpansionWithExclude() throws {
        let s = try ScenarioLoader.parse(fanout, file: "f.yaml")
        XCTAssertEqual(s.repetitions, 3)
        XCTAssertEqual(s.warmup, 0.5, accuracy: 1e-9)
        XCTAssertEqual(s.thresholds["msgs/s"], "3%")
        let cells = s.cells()
        // 2 × 3 × 2 × 2 = 24, minus publishers=4 ∧ subscribers=8 (2 payloads × 2 flush = 4) = 20.
        XCTAssertEqual(cells.count, 20)
        XCTAssertFalse(cells.contains { $0.name.contains("publishers=4/subscribers=8") })
        XCTAssertEqual(cells[0].name, "BenchmarkBrokerFanout/publishers=1/subscribers=0/payload=16/flush=immediate")
        XCTAssertEqual(cells[1].name, "BenchmarkBrokerFanout/publishers=1/subscribers=0/payload=16/flush=batched")
        XCTAssertEqual(cells.map(\.index), Array(0..<20))
    }

    func testPlaceholdersAreSubstitutedIntoTargetAndWorkload() throws {
        let cell = try ScenarioLoader.parse(fanout, file: "f.yaml").cells()[3]
        XCTAssertEqual(cell.target.options["flush"], "batched")
        XCTAssertEqual(cell.workload["payload"], .scalar("1024"))
        XCTAssertEqual(cell.workload["publishers"], .scalar("1"))
        XCTAssertEqual(cell.workload["messages"], .scalar("1000"))
        XCTAssertEqual(cell.workloadKind, "nats.pubsub")
    }

    func testCommandTargetKeepsRuntimePlaceholders() throws {
        let yaml = """
            name: ext
            target:
              command: ["nats-server", "-a", "127.0.0.1", "-p", "{port}", "--max_payload", "{payload}"]
            workload: { kind: nats.pubsub, payload: "{payload}" }
            matrix: { payload: [16] }
            """
        let cell = try ScenarioLoader.parse(yaml, file: "e.yaml").cells()[0]
        XCTAssertEqual(cell.target.kind, .command(["nats-server", "-a", "127.0.0.1", "-p", "{port}", "--max_payload", "16"]))
        XCTAssertEqual(cell.target.withRuntime(port: 4222, statsPort: 0).kind,
                       .command(["nats-server", "-a", "127.0.0.1", "-p", "4222", "--max_payload", "16"]))
    }

    func testNamedTargetsChosenByTheTargetAxis() throws {
        let yaml = """
            name: vs
            targets:
              surge: { component: broker }
              nats-server: { command: ["nats-server", "-p", "{port}"] }
            workload: { kind: nats.pubsub, payload: "{payload}" }
            matrix:
              target: [surge, nats-server]
              payload: [16, 128]
            """
        let cells = try ScenarioLoader.parse(yaml, file: "v.yaml").cells()
        XCTAssertEqual(cells.count, 4)
        XCTAssertEqual(cells[0].target.kind, .component("broker"))
        XCTAssertEqual(cells[2].target.name, "nats-server")
        XCTAssertEqual(cells[2].name, "BenchmarkVs/target=nats-server/payload=16")
    }

    func testNoMatrixIsOneCell() throws {
        let s = try ScenarioLoader.parse("name: one\ntarget: { component: broker }\nworkload: { kind: nats.pubsub }\n", file: "o.yaml")
        XCTAssertEqual(s.cells().count, 1)
        XCTAssertEqual(s.cells()[0].name, "BenchmarkOne")
        XCTAssertEqual(s.repetitions, 6, "benchstat needs 6 for a confidence interval; that is the default")
    }

    // MARK: errors name file, line and key

    func testUnknownKeyWithLine() {
        let e = scenarioErrors("name: x\ntarget: { component: broker }\nworkload: { kind: nats.pubsub }\nrepetitons: 3\n")
        XCTAssertEqual(e.count, 1)
        XCTAssertTrue(e[0].hasPrefix("bad.yaml:4:1: error: repetitons: unknown key;"), e[0])
    }

    func testWrongTypesWithLines() {
        let e = scenarioErrors("""
            name: x
            target: { component: broker }
            workload: { kind: nats.pubsub }
            repetitions: many
            warmup: [1s]
            matrix: { payload: { a: 1 } }
            """)
        XCTAssertTrue(e.contains { $0.hasPrefix("bad.yaml:4:14: error: repetitions: expected a whole number, found 'many'") }, "\(e)")
        XCTAssertTrue(e.contains { $0.hasPrefix("bad.yaml:5:9: error: warmup: expected a single value, found a list") }, "\(e)")
        XCTAssertTrue(e.contains { $0.hasPrefix("bad.yaml:6:20: error: matrix.payload: expected a list of values, found a mapping") }, "\(e)")
    }

    func testUnknownPlaceholder() {
        let e = scenarioErrors("""
            name: x
            target: { component: broker, options: { flush: "{flsh}" } }
            workload:
              kind: nats.pubsub
              payload: "{payload}"
            matrix: { payload: [16] }
            """)
        XCTAssertEqual(e, ["bad.yaml:2:48: error: target.options.flush: unknown placeholder {flsh}; known here: payload"])
    }

    func testEmptyMatrixAndEmptyAxis() {
        XCTAssertTrue(scenarioErrors("name: x\ntarget: { component: broker }\nworkload: { kind: nats.pubsub }\nmatrix: {}\n")[0]
            .contains("matrix: empty matrix"))
        let e = scenarioErrors("name: x\ntarget: { component: broker }\nworkload: { kind: nats.pubsub, payload: \"{p}\" }\nmatrix:\n  p: []\n")
        XCTAssertTrue(e.contains { $0.hasPrefix("bad.yaml:5:6: error: matrix.p: empty matrix axis") }, "\(e)")
    }

    func testUnusedAxisAndBadExclude() {
        let e = scenarioErrors("""
            name: x
            target: { component: broker }
            workload: { kind: nats.pubsub, payload: "{payload}" }
            matrix: { payload: [16, 32], flush: [a, b] }
            exclude: [ { payload: 64 }, { nope: 1 } ]
            """)
        XCTAssertTrue(e.contains { $0.contains("matrix.flush: is never used") }, "\(e)")
        XCTAssertTrue(e.contains { $0.contains("exclude[0].payload: '64' is not one of matrix.payload's values (16, 32)") }, "\(e)")
        XCTAssertTrue(e.contains { $0.contains("exclude[1].nope: 'nope' is not a matrix parameter") }, "\(e)")
    }

    func testEverythingExcluded() {
        let e = scenarioErrors("""
            name: x
            target: { component: broker }
            workload: { kind: nats.pubsub, payload: "{payload}" }
            matrix: { payload: [16] }
            exclude: [ { payload: 16 } ]
            """)
        XCTAssertEqual(e.count, 1)
        XCTAssertTrue(e[0].contains("every cell of the matrix is excluded"), e[0])
    }

    func testMissingSectionsAndYAMLSyntax() {
        let e = scenarioErrors("name: x\n")
        XCTAssertTrue(e.contains { $0.contains("target: missing") })
        XCTAssertTrue(e.contains { $0.contains("workload: missing") })
        let syntax = scenarioErrors("name: x\ntarget: [unclosed\n")
        XCTAssertEqual(syntax.count, 1)
        XCTAssertTrue(syntax[0].hasPrefix("bad.yaml:3:"), syntax[0])
        XCTAssertTrue(syntax[0].contains("invalid YAML"), syntax[0])
    }

    func testAllErrorsReportedSortedByLine() {
        let e = scenarioErrors("""
            name: x
            bogus: 1
            target: { component: broker }
            workload: { kind: nats.pubsub }
            repetitions: 0
            """)
        XCTAssertEqual(e.count, 2)
        XCTAssertTrue(e[0].hasPrefix("bad.yaml:2:"))
        XCTAssertTrue(e[1].hasPrefix("bad.yaml:5:"))
    }

    func testSHA256() {
        XCTAssertEqual(SHA256.hex(of: Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testPlaceholderSyntax() throws {
        XCTAssertEqual(try Placeholders.names(in: "a {x} {{lit}} {y}"), ["x", "y"])
        XCTAssertEqual(try Placeholders.substitute("{{x}} {x}") { $0 == "x" ? "1" : nil }, "{x} 1")
        XCTAssertThrowsError(try Placeholders.names(in: "a {x"))
    }
}

final class NamedWorkloadsTests: XCTestCase {
    func testWorkloadAxisChoosesAmongWorkloads() throws {
        let yaml = """
            name: smoke
            target: { component: broker }
            workloads:
              pubsub: { kind: nats.pubsub, payload: "{payload}" }
              request: { kind: nats.request, payload: "{payload}" }
            matrix:
              workload: [pubsub, request]
              payload: [16]
            """
        let s = try ScenarioLoader.parse(yaml, file: "s.yaml")
        XCTAssertEqual(s.workloadKinds, ["nats.pubsub", "nats.request"])
        let cells = s.cells()
        XCTAssertEqual(cells.map(\.workloadKind), ["nats.pubsub", "nats.request"])
        XCTAssertEqual(cells[1].name, "BenchmarkSmoke/workload=request/payload=16")
    }

    func testWorkloadsNeedTheAxis() {
        do {
            _ = try ScenarioLoader.parse("""
                name: x
                target: { component: broker }
                workloads:
                  a: { kind: nats.pubsub }
                  b: { kind: nats.request, bad: "{nope}" }
                """, file: "w.yaml")
            XCTFail("expected errors")
        } catch {
            let text = error.description
            XCTAssertTrue(text.contains("w.yaml:3:1: error: matrix: with several `workloads`, add the matrix axis `workload: [a, b]`"), text)
            XCTAssertTrue(text.contains("workloads.b.bad: unknown placeholder {nope}"), text)
        }
    }
}
