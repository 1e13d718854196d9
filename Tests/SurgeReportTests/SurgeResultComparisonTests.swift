import Foundation
import SurgeCompare
import XCTest
@testable import SurgeReport
@testable import SurgeResults

/// Surge result files in comparisons: written with `RunResultCodec.write`, mixed with Go text,
/// matrix parameters as `/key=value`, counted metrics compared exactly, thresholds and directions.
final class SurgeResultComparisonTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-compare-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    static func run(id: String, scenario: String = "fanout", thresholds: [String: String] = [:], cells: [CellResult]) -> RunResult {
        var run = RunResult(
            runID: id, startedAt: Date(timeIntervalSince1970: 1_790_000_000),
            scenario: ScenarioInfo(name: scenario, file: "Scenarios/\(scenario).yaml", sha256: "ab", thresholds: thresholds),
            source: SourceInfo(commit: "c0ffee", dirty: false),
            host: HostInfo(hostname: "h", cpuModel: "Test CPU", cores: 2, kernel: "6.1", loadAverage: [0, 0, 0], surgeVersion: "0.1.0", buildConfig: "release"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        run.cells = cells
        return run
    }

    static func cell(flush: String, rates: [Double], allocs: [Double]) -> CellResult {
        CellResult(name: "BenchmarkFanout/flush=\(flush)", parameters: [CellParameter(name: "flush", value: flush)],
                   samples: zip(rates, allocs).enumerated().map { i, v in
                       Sample(repetition: i + 1, operations: 1000, elapsedSeconds: 1, metrics: ["msgs/s": v.0, "allocs/op": v.1])
                   })
    }

    func build(_ paths: [String], options: CompareOptions = CompareOptions()) throws -> (ComparisonTables, CompareInputs) {
        let inputs = try CompareInputs.read(paths)
        let builder = try ComparisonBuilder(options: options)
        var exact: Set<String> = []
        for input in inputs.inputs {
            builder.add(input.records)
            if input.run != nil {
                for r in input.records { for v in r.values where Metric.named(v.originalUnit).metricClass == .exact { exact.insert(v.unit) } }
            }
        }
        builder.exactUnits = exact
        return (builder.build(), inputs)
    }

    func testColumnByMatrixParameterInsideOneRun() throws {
        let run = Self.run(id: "r1", cells: [
            Self.cell(flush: "immediate", rates: [100, 101, 99, 100, 102, 98], allocs: [2, 2, 2, 2, 2, 2]),
            Self.cell(flush: "batched", rates: [150, 151, 149, 150, 152, 148], allocs: [1, 1, 1, 1, 1, 1]),
        ])
        let path = dir.appendingPathComponent("r1.json").path
        try RunResultCodec.write(run, path: path)
        var options = CompareOptions()
        options.col = "/flush"
        let (tables, _) = try build([path], options: options)
        let rates = try XCTUnwrap(tables.tables.first { $0.unit == "msgs/s" })
        XCTAssertEqual(rates.columns, [["immediate"], ["batched"]])
        XCTAssertEqual(rates.rows, ["Fanout"])
        XCTAssertEqual(rates.cells[0][1]?.comparison?.deltaText, "+50.00%")
        let allocs = try XCTUnwrap(tables.tables.first { $0.unit == "allocs/op" })
        XCTAssertFalse(allocs.exact, "allocs/op is an average over a window: compared statistically")
        XCTAssertEqual(allocs.cells[0][1]?.comparison?.statText, "p=0.002 n=6")
        XCTAssertEqual(allocs.cells[0][1]?.comparison?.deltaText, "-50.00%")
        // Higher msgs/s and fewer allocs are both improvements; without thresholds they are informational.
        let findings = RegressionGate(commandLine: []).evaluate(tables)
        XCTAssertEqual(findings.map(\.verdict), [.improvement, .improvement])
        XCTAssertEqual(findings.map(\.role), [.informational, .informational])
    }

    func testMixedGoTextAndSurgeResultShareATable() throws {
        let old = Self.run(id: "old", thresholds: ["msgs/s": "3%", "allocs/op": "0%"], cells: [
            Self.cell(flush: "batched", rates: [150, 151, 149, 150, 152, 148], allocs: [1, 1, 1, 1, 1, 1]),
        ])
        // The new side as Go benchmark text, as `surge run --benchfmt` (BenchFmtWriter) writes it,
        // minus the run-specific lines that would otherwise split the table.
        let newRun = Self.run(id: "new", cells: [
            Self.cell(flush: "batched", rates: [140, 141, 139, 140, 142, 138], allocs: [2, 2, 2, 2, 2, 2]),
        ])
        let text = BenchFmtWriter.write(newRun).split(separator: "\n").filter { !$0.hasPrefix("surge-run") && !$0.hasPrefix("surge-commit") }.joined(separator: "\n") + "\n"
        let oldPath = dir.appendingPathComponent("old.json").path
        let newPath = dir.appendingPathComponent("new.txt").path
        try RunResultCodec.write(old, path: oldPath)
        try text.write(toFile: newPath, atomically: true, encoding: .utf8)
        let (tables, inputs) = try build(["old=" + oldPath, "new=" + newPath])
        XCTAssertTrue(inputs.hasSurgeResults)
        XCTAssertEqual(tables.tables.count, 2, "one table per unit, both inputs in each")
        let rates = try XCTUnwrap(tables.tables.first { $0.unit == "msgs/s" })
        XCTAssertEqual(rates.columns, [["old"], ["new"]])
        XCTAssertEqual(rates.cells[0][1]?.comparison?.deltaText, "-6.67%")
        let gate = RegressionGate(scenario: try RegressionGate.settings(from: [old]).scenario)
        let findings = gate.evaluate(tables)
        // msgs/s fell 6.67% > 3% with p = 0.002: regression; allocs/op doubled, threshold 0: regression.
        XCTAssertEqual(findings.filter { $0.verdict == .regression }.map(\.unit).sorted(), ["allocs/op", "msgs/s"])
        XCTAssertTrue(RegressionGate.verdictLine(findings).hasPrefix("surge compare: REGRESSION: 2 of 2 gated comparisons regressed"),
                      RegressionGate.verdictLine(findings))
    }

    func testThresholdDirectionAndSignificance() throws {
        func table(unit: String, old: [Double], new: [Double]) throws -> ComparisonTables {
            let a = old.map { "BenchmarkX 1 \($0) \(unit)" }.joined(separator: "\n")
            let b = new.map { "BenchmarkX 1 \($0) \(unit)" }.joined(separator: "\n")
            let pa = dir.appendingPathComponent("a-\(UUID()).txt").path
            let pb = dir.appendingPathComponent("b-\(UUID()).txt").path
            try a.write(toFile: pa, atomically: true, encoding: .utf8)
            try b.write(toFile: pb, atomically: true, encoding: .utf8)
            return try build([pa, pb]).0
        }
        let slower = try table(unit: "ns/op", old: [100, 101, 99, 100, 102, 98], new: [104, 105, 103, 104, 106, 102])
        XCTAssertEqual(RegressionGate(commandLine: [MetricThreshold(unit: "ns/op", fraction: 0.05)]).evaluate(slower).map(\.verdict), [.withinThreshold])
        XCTAssertEqual(RegressionGate(commandLine: [try MetricThreshold.parse("ns/op=3%")]).evaluate(slower).map(\.verdict), [.regression])
        XCTAssertEqual(RegressionGate(commandLine: [try MetricThreshold.parse("*=2%")]).evaluate(slower).map(\.verdict), [.regression])
        // Faster msgs/s is never a regression; slower is.
        let faster = try table(unit: "msgs/s", old: [100, 101, 99, 100, 102, 98], new: [104, 105, 103, 104, 106, 102])
        XCTAssertEqual(RegressionGate(commandLine: []).evaluate(faster).map(\.verdict), [.improvement])
        // Not significant (overlapping samples): unchanged, however large the median moved.
        let noisy = try table(unit: "ns/op", old: [100, 200, 300], new: [150, 250, 350])
        XCTAssertEqual(RegressionGate(commandLine: []).evaluate(noisy).map(\.verdict), [.unchanged])
        XCTAssertThrowsError(try MetricThreshold.parse("ns/op=3")) { XCTAssertTrue("\($0)".contains("not a percentage")) }
        XCTAssertThrowsError(try MetricThreshold.parse("3%"))
    }

    func testUnknownSchemaAndCorruptJSONAreClearErrors() throws {
        let bad = dir.appendingPathComponent("bad.json").path
        try #"{"schema":"surge.run/v9"}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CompareInputs.read([bad])) { XCTAssertEqual("\($0)", "\(bad): unknown result schema 'surge.run/v9' (this surge reads surge.run/v1)") }
        let corrupt = dir.appendingPathComponent("corrupt.json").path
        try #"{"schema": "#.write(toFile: corrupt, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CompareInputs.read([corrupt])) { XCTAssertTrue("\($0)".hasPrefix("\(corrupt): not a valid Surge result file: invalid JSON"), "\($0)") }
        XCTAssertThrowsError(try CompareInputs.read([dir.appendingPathComponent("missing.txt").path])) { XCTAssertTrue("\($0)".contains("missing.txt: cannot read"), "\($0)") }
    }
}
