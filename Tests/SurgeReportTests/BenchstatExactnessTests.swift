import SurgeCompare
import Foundation
import XCTest
@testable import SurgeReport
@testable import SurgeResults

/// The six benchstat discrepancies of issue 12, each as complete inputs (Golden/issue12/<case>/old.txt
/// and new.txt) with the text, CSV and CSV-warning output Go's benchstat printed for them
/// (golang/perf 884df58 + 8f5f3ab, moremath f10218a, Go on amd64), compared byte for byte.
final class BenchstatExactnessTests: XCTestCase {
    static let cases = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden/issue12")

    struct Output {
        var text: String
        var csv: String
        var warnings: String
    }

    func run(_ name: String) throws -> (got: Output, want: Output) {
        let dir = Self.cases.appendingPathComponent(name)
        func read(_ file: String) throws -> String {
            try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
        }
        var options = CompareOptions()
        if let level = try? read("confidence") {
            options.confidence = try XCTUnwrap(Double(level.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let inputs = try CompareInputs.read(["old.txt=" + dir.appendingPathComponent("old.txt").path,
                                             "new.txt=" + dir.appendingPathComponent("new.txt").path])
        let builder = try ComparisonBuilder(options: options)
        builder.exactUnits = Set(inputs.unitMetadata.entries.compactMap {
            $0.value["assume"] == "exact" ? $0.key : nil
        })
        for input in inputs.inputs { builder.add(input.records) }
        let tables = builder.build()
        let (csv, warnings) = BenchstatCSVRenderer.render(tables)
        let got = Output(text: BenchstatTextRenderer.render(tables), csv: csv, warnings: warnings)
        let want = Output(text: try read("expected.text"), csv: try read("expected.csv"),
                          warnings: try read("expected.csv-warnings"))
        return (got, want)
    }

    func assertMatchesBenchstat(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (got, want) = try run(name)
        XCTAssertEqual(got.text, want.text, "\(name): text", file: file, line: line)
        XCTAssertEqual(got.csv, want.csv, "\(name): CSV", file: file, line: line)
        XCTAssertEqual(got.warnings, want.warnings, "\(name): CSV warnings", file: file, line: line)
    }

    /// (1) Exact U test with ties, new sample lower, n_old < n_new: p = 1.333, 0.600, 0.079, 1.250.
    func testExactUTestWithTies() throws {
        for name in ["1-utest-ties-1v2", "1-utest-ties-2v3", "1-utest-ties-4v5", "1-utest-ties-3v5"] {
            try assertMatchesBenchstat(name)
        }
        let (got, _) = try run("1-utest-ties-1v2")
        XCTAssertTrue(got.text.contains("~ (p=1.333 n=1+2) ²"), got.text)
        XCTAssertTrue(got.text.contains("² need >= 4 samples to detect a difference at alpha level 0.05"))
    }

    /// (2) Geomean digits from Go's Log/Exp: `geomean,7,,7,,+0.00%,` and 341.7µ at a rounding half-way point.
    func testGeomeanDigits() throws {
        try assertMatchesBenchstat("2-geomean-7")
        try assertMatchesBenchstat("2-geomean-halfway")
        XCTAssertTrue(try run("2-geomean-7").got.csv.contains("geomean,7,,7,,+0.00%,\n"))
        XCTAssertTrue(try run("2-geomean-halfway").got.text.contains("geomean   341.7µ         341.7µ"))
    }

    /// (3) A column without any baseline: the overflowing `vs base` pushes the edge like Go's `%*s`.
    func testHeaderPaddingWithoutBaseline() throws {
        try assertMatchesBenchstat("3-no-baseline-header")
        XCTAssertTrue(try run("3-no-baseline-header").got.text.contains("vs base   │\n"))
    }

    /// (4) `assume=exact` reaches the zeros that stay in the raw unit (`ns/op`, `MB/s`) and `sec/op` itself.
    func testAssumeExactOnRawUnits() throws {
        for name in ["4-exact-raw-ns", "4-exact-raw-mbs", "4-exact-sec"] {
            try assertMatchesBenchstat(name)
            XCTAssertTrue(try run(name).got.text.contains("0.000 ± 0%   0.000 ± 0%  0.00% (n=2)"), name)
        }
    }

    /// (5) The median of three `-0` is `+0` (R8 interpolation), a single `-0` stays `-0`, as in benchstat.
    func testNegativeZero() throws {
        try assertMatchesBenchstat("5-negative-zero-3")
        try assertMatchesBenchstat("5-negative-zero-1")
        XCTAssertFalse(try run("5-negative-zero-3").got.text.contains("-0.000"))
        XCTAssertTrue(try run("5-negative-zero-1").got.csv.contains("A,0,∞,-0,∞"))
    }

    /// (6) Median CI orders at confidence levels other than 0.9/0.95/0.99 (the inputs' upper tails are
    /// spread so that one order more or less changes the printed ±).
    func testMedianCIAtOtherConfidenceLevels() throws {
        for name in ["6-ci-0.8-n27", "6-ci-0.5-n28", "6-ci-0.5-n30", "6-ci-0.75-n26", "6-ci-0.999-n24",
                     "6-ci-0.999-n30"] {
            try assertMatchesBenchstat(name)
        }
    }

    /// Found by differential fuzzing: a delta of +Inf prints `+Inf%` (not `++Inf%`), and a geomean of
    /// ratios that turns NaN (+Inf, then a finite ratio) is `?` with benchstat's footnote.
    func testInfiniteDeltaAndNaNGeomean() throws {
        try assertMatchesBenchstat("7-infinite-delta")
        let text = try run("7-infinite-delta").got.text
        XCTAssertTrue(text.contains("+Inf% (p=0.002 n=6)"), text)
        XCTAssertTrue(text.contains("¹ ratios must be >0 to compute geomean"), text)
    }
}
