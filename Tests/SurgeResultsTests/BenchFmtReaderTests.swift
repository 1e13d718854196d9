import Foundation
import XCTest
@testable import SurgeResults

final class BenchFmtReaderTests: XCTestCase {
    func testRecordsConfigAndTidiedUnits() {
        var reader = BenchFmtReader()
        let file = reader.parse("""
            goos: linux
            pkg: example.com/x
            BenchmarkEncode/format=json-48   \t  690848\t 1726 ns/op\t 12.5 MB/s\t 0 ns/op
            key:value
            pkg:
            cpu: Some CPU
            BenchmarkDecode-48 10 3 allocs/op
            PASS
            ok   example.com/x 1.2s

            """, label: "old.txt")
        XCTAssertEqual(file.errors, [])
        XCTAssertEqual(file.records.count, 2)
        let r = file.records[0]
        XCTAssertEqual(r.name, "Encode/format=json-48")
        XCTAssertEqual(r.iterations, 690848)
        XCTAssertEqual(r.line, 3)
        XCTAssertEqual(r.file, "old.txt")
        XCTAssertEqual(r.config, [BenchConfigEntry(key: "goos", value: "linux"), BenchConfigEntry(key: "pkg", value: "example.com/x")])
        XCTAssertEqual(r.values[0], BenchValue(value: 1726 * 1e-9, unit: "sec/op", originalUnit: "ns/op"))
        XCTAssertEqual(r.values[1], BenchValue(value: 12.5 * 1e6, unit: "B/s", originalUnit: "MB/s"))
        // A value of exactly 0 keeps its raw unit (value*factor == value).
        XCTAssertEqual(r.values[2], BenchValue(value: 0, unit: "ns/op", originalUnit: "ns/op"))
        // `key:value` (no space) is not config; `pkg:` deletes pkg.
        XCTAssertEqual(file.records[1].config, [BenchConfigEntry(key: "goos", value: "linux"), BenchConfigEntry(key: "cpu", value: "Some CPU")])
    }

    func testMalformedLinesNameFileAndLineAndAreSkipped() {
        var reader = BenchFmtReader()
        let file = reader.parse("""
            not a benchmark
            BenchmarkTrailingSpaceNoIter\u{20}
            BenchmarkBadIter abc
            BenchmarkHugeIter 9999999999999999999999999999999
            BenchmarkMissingVal 100
            BenchmarkBadVal 100 abc
            BenchmarkMissingUnit 100 1
            BenchmarkMissingUnit2 100 1 ns/op 2
            BenchmarkOnlyName
            Unit
            Unit ns/op blah
            Unit ns/op a=1
            Unit ns/op a=2
            BenchmarkGood 1 5 x
            """, label: "bad.txt")
        XCTAssertEqual(file.errors.map(\.description), [
            "bad.txt:2: missing iteration count",
            "bad.txt:3: parsing iteration count: invalid syntax",
            "bad.txt:4: parsing iteration count: value out of range",
            "bad.txt:5: missing measurements",
            "bad.txt:6: parsing measurement: invalid syntax",
            "bad.txt:7: missing units",
            "bad.txt:8: missing units",
            "bad.txt:10: missing unit",
            "bad.txt:11: expected key=value",
            "bad.txt:13: metadata a of unit ns/op already set to 1",
        ])
        XCTAssertEqual(file.records.map(\.name), ["Good"])
        XCTAssertEqual(file.records[0].line, 14)
        XCTAssertEqual(reader.unitMetadata.entries["sec/op"]?["a"], "1")
    }

    /// Measurements parse with Go's ParseFloat syntax (checked against benchstat): `_` between
    /// digits and hexadecimal floats with a `p` exponent are numbers; `0x10`, `-nan`, `1__0` are not.
    func testMeasurementSyntaxIsGos() {
        let accepted: [(String, Double)] = [("1_000", 1000), ("0x1p-3", 0.125), ("0x_1p0", 1), ("1e1_0", 1e10),
                                            ("+Inf", .infinity), ("infinity", .infinity), ("5.", 5), (".5", 0.5)]
        let rejected = ["0x10", "-nan", "+NaN", "nan(1)", "1__0", "_1", "1_", "1_.5", "0b11", "0o7", "1e400"]
        var reader = BenchFmtReader()
        let lines = (accepted.map(\.0) + rejected).enumerated().map { "BenchmarkV\($0.offset) 1 \($0.element) x/op" }
        let file = reader.parse(lines.joined(separator: "\n") + "\n", label: "v.txt")
        XCTAssertEqual(file.records.map { $0.values[0].value }, accepted.map(\.1))
        XCTAssertEqual(file.errors.map(\.description), rejected.enumerated().map { i, text in
            "v.txt:\(accepted.count + i + 1): parsing measurement: " + (text == "1e400" ? "value out of range" : "invalid syntax")
        })
    }

    func testUnitTidying() {
        XCTAssertEqual(BenchUnit.tidy("pause-ns/op").unit, "pause-sec/op")
        XCTAssertEqual(BenchUnit.tidy("ns/MB").unit, "sec/MB")
        XCTAssertEqual(BenchUnit.tidy("msgs/s").unit, "msgs/s")
        XCTAssertEqual(BenchUnit.classOf("B/op"), .binary)
        XCTAssertEqual(BenchUnit.classOf("text-bytes"), .binary)
        XCTAssertEqual(BenchUnit.classOf("sec/op"), .decimal)
        XCTAssertEqual(BenchUnit.classOf("allocs/B"), .decimal)
    }

    func testWriterOutputReadsBackAsTheSameSamples() throws {
        var run = RunResult(
            runID: "20261126T104600Z-fanout", startedAt: Date(timeIntervalSince1970: 1_790_000_000),
            scenario: ScenarioInfo(name: "broker-fanout", file: "Scenarios/fanout.yaml", sha256: "ab"),
            source: SourceInfo(commit: "deadbeef", dirty: true),
            host: HostInfo(hostname: "h", cpuModel: "Test CPU", cores: 2, kernel: "6.1", loadAverage: [0, 0, 0], surgeVersion: "0.1.0", buildConfig: "release"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.cells = [
            CellResult(name: "BenchmarkBrokerFanout/publishers=1/payload=16",
                       parameters: [CellParameter(name: "publishers", value: "1"), CellParameter(name: "payload", value: "16")],
                       samples: [Sample(repetition: 1, operations: 200000, elapsedSeconds: 0.1, metrics: ["ns/op": 523, "msgs/s": 1.9e6, "allocs/op": 0.25]),
                                 Sample(repetition: 2, operations: 200000, elapsedSeconds: 0.1, metrics: ["ns/op": 530.5, "msgs/s": 1.88e6, "allocs/op": 0.25])]),
            CellResult(name: "BenchmarkBrokerFanout/publishers=4/payload=16", parameters: [], status: .failed, reason: "crashed"),
        ]
        let text = BenchFmtWriter.write(run)
        XCTAssertTrue(text.hasPrefix("goos: linux\ngoarch: "), text)
        XCTAssertTrue(text.contains("\ncpu: Test CPU\npkg: surge/broker-fanout\nsurge-scenario: broker-fanout\nsurge-run: 20261126T104600Z-fanout\nsurge-commit: deadbeef+dirty\n"), text)
        XCTAssertTrue(text.contains("BenchmarkBrokerFanout/publishers=1/payload=16 200000 523 ns/op 0.25 allocs/op 1900000 msgs/s\n"), text)
        XCTAssertFalse(text.contains("publishers=4"), "failed cells have no samples to write")
        var reader = BenchFmtReader()
        let file = reader.parse(text, label: "run.txt")
        XCTAssertEqual(file.errors, [])
        XCTAssertEqual(file.records.count, 2)
        XCTAssertEqual(file.records[1].values.map(\.value), [530.5 * 1e-9, 0.25, 1.88e6])
        XCTAssertEqual(file.records[1].configValue("surge-commit"), "deadbeef+dirty")
        // The comparison records carry the same values.
        let records = RunResultRecords.records(run, label: "run.json")
        XCTAssertEqual(records.map(\.name), ["BrokerFanout/publishers=1/payload=16", "BrokerFanout/publishers=1/payload=16"])
        XCTAssertEqual(records[1].values, file.records[1].values)
    }

    /// Fields end at any Unicode white space (Go's `unicode.IsSpace`), not only ASCII; other bytes,
    /// control characters and multi-byte characters included, belong to the field. Lines end at
    /// `\n` with an optional `\r`; the last line needs no newline. Values are reused line to line,
    /// so records read earlier must keep their own.
    func testFieldAndLineBoundaries() {
        var reader = BenchFmtReader()
        let text = "BenchmarkA\u{00A0}1\u{3000}5 ns/op\r\n"
            + "BenchmarkB\u{01}é\t2\u{2009}\u{2009}7 B/op  \u{85}9 allocs/op\n"
            + "BenchmarkA 3 6 ns/op"
        let file = reader.parse(text, label: "f")
        XCTAssertEqual(file.errors, [])
        XCTAssertEqual(file.records.map(\.name), ["A", "B\u{01}é", "A"])
        XCTAssertEqual(file.records.map(\.iterations), [1, 2, 3])
        XCTAssertEqual(file.records.map(\.line), [1, 2, 3])
        XCTAssertEqual(file.records[0].values, [BenchValue(value: 5 * 1e-9, unit: "sec/op", originalUnit: "ns/op")])
        XCTAssertEqual(
            file.records[1].values, [BenchValue(value: 7, unit: "B/op"), BenchValue(value: 9, unit: "allocs/op")])
        XCTAssertEqual(file.records[2].values, [BenchValue(value: 6 * 1e-9, unit: "sec/op", originalUnit: "ns/op")])
        // A unit glued to a non-space byte is part of the value field, which then does not parse.
        let glued = reader.parse("BenchmarkC 1 5\u{00B7}ns/op\n", label: "g")
        XCTAssertEqual(glued.records.count, 0)
        XCTAssertEqual(glued.errors.map(\.description), ["g:1: parsing measurement: invalid syntax"])
    }

    func testMatrixParametersBecomeNameParts() {
        let cell = CellResult(name: "BenchmarkFanout", parameters: [CellParameter(name: "flush", value: "batched")], samples: [])
        XCTAssertEqual(RunResultRecords.benchmarkName(cell), "Fanout/flush=batched")
    }
}
