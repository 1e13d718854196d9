import Foundation
import XCTest
@testable import SurgeResults

final class RunResultCodecTests: XCTestCase {
    func makeRun() -> RunResult {
        var run = RunResult(
            runID: "20261126T104600Z-smoke", startedAt: Date(timeIntervalSince1970: 1_790_000_000),
            scenario: ScenarioInfo(name: "smoke", file: "Scenarios/smoke.yaml", sha256: "ab"),
            source: SourceInfo(commit: "deadbeef", dirty: false),
            host: HostInfo(hostname: "h", cpuModel: "cpu", cores: 2, kernel: "6.1", loadAverage: [0.1, 0.2, 0.3], surgeVersion: "0.1.0", buildConfig: "release"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.cells = [CellResult(name: "BenchmarkSmoke/payload=16", parameters: [CellParameter(name: "payload", value: "16")],
                                samples: [Sample(repetition: 1, operations: 10, elapsedSeconds: 0.5, metrics: ["msgs/s": 20, "ns/op": .infinity])])]
        return run
    }

    func testRoundTripThroughFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-\(UUID())")
        let path = dir.appendingPathComponent("run.json").path
        let run = makeRun()
        try RunResultCodec.write(run, path: path)
        XCTAssertEqual(try RunResultCodec.read(path: path), run)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["run.json"], "temporary file left behind")
    }

    /// A file written before `loadAverageAfter`, `workloadKind` and `offeredRate` existed still reads;
    /// the new fields are absent, and a new file round-trips them.
    func testAnOlderFileWithoutTheReportFieldsDecodes() throws {
        let old = #"""
            {"schema":"surge.run/v1","runID":"r","startedAt":"2026-11-26T10:46:00Z","status":"complete",
             "scenario":{"name":"smoke","file":"s.yaml","sha256":"ab","thresholds":{}},
             "host":{"hostname":"h","cpuModel":"cpu","cores":2,"kernel":"6.1","loadAverage":[0.1,0.2,0.3],
                     "surgeVersion":"0.1.0","buildConfig":"release"},
             "target":{"kind":"component","component":"broker"},"probeMethods":{},"notes":[],
             "cells":[{"name":"BenchmarkSmoke/payload=16","parameters":[{"name":"payload","value":"16"}],"status":"ok",
                       "samples":[{"repetition":1,"pass":"speed","operations":10,"elapsedSeconds":0.5,"metrics":{"msgs/s":20}}]}]}
            """#
        let run = try RunResultCodec.decode(Data(old.utf8), path: "old.json")
        XCTAssertEqual(run.host.loadAverage, [0.1, 0.2, 0.3])
        XCTAssertNil(run.host.loadAverageAfter)
        XCTAssertNil(run.cells[0].workloadKind)
        XCTAssertNil(run.cells[0].offeredRate)

        var new = makeRun()
        new.host.loadAverageAfter = [1.5, 0.7, 0.4]
        new.cells[0].workloadKind = "nats.pubsub"
        new.cells[0].offeredRate = 2000
        let back = try RunResultCodec.decode(try RunResultCodec.encode(new), path: "new.json")
        XCTAssertEqual(back.host.loadAverageAfter, [1.5, 0.7, 0.4])
        XCTAssertEqual(back.cells[0].workloadKind, "nats.pubsub")
        XCTAssertEqual(back.cells[0].offeredRate, 2000)
    }

    func testUnknownSchemaIsAClearError() {
        let data = Data(#"{"schema":"surge.run/v9"}"#.utf8)
        XCTAssertThrowsError(try RunResultCodec.decode(data, path: "x.json")) { error in
            XCTAssertEqual("\(error)", "x.json: unknown result schema 'surge.run/v9' (this surge reads surge.run/v1)")
        }
    }

    func testCorruptJSONNamesTheFile() {
        XCTAssertThrowsError(try RunResultCodec.decode(Data("{\"schema\": ".utf8), path: "y.json")) { error in
            XCTAssertTrue("\(error)".hasPrefix("y.json: not a valid Surge result file: invalid JSON"), "\(error)")
        }
    }

    func testMissingFieldIsNamed() throws {
        var obj = try JSONSerialization.jsonObject(with: RunResultCodec.encode(makeRun())) as! [String: Any]
        obj.removeValue(forKey: "host")
        let data = try JSONSerialization.data(withJSONObject: obj)
        XCTAssertThrowsError(try RunResultCodec.decode(data, path: "z.json")) { error in
            XCTAssertEqual("\(error)", "z.json: not a valid Surge result file: missing field 'host'")
        }
    }

    func testDirections() {
        XCTAssertEqual(MetricDirection(unit: "msgs/s"), .higherIsBetter)
        XCTAssertEqual(MetricDirection(unit: "p99-ns"), .lowerIsBetter)
        XCTAssertEqual(MetricDirection(unit: "allocs/op"), .lowerIsBetter)
        XCTAssertEqual(MetricDirection(unit: "cache-hit-ratio"), .higherIsBetter)
    }
}
