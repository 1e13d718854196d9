import SurgeCompare
import Foundation
import XCTest
@testable import SurgeReport
@testable import SurgeResults

/// Text and CSV output byte for byte against golden files. The expected numbers were derived by
/// hand from BENCHSTAT.md's rules (see the comments in `testQueueNumbersDerivedByHand`); the golden
/// files pin the layout.
final class GoldenOutputTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func path(_ name: String) -> String { Self.golden.appendingPathComponent(name).path }

    func golden(_ name: String) throws -> String {
        try String(contentsOf: Self.golden.appendingPathComponent(name), encoding: .utf8)
    }

    func compare(_ args: [String], options: CompareOptions = CompareOptions()) throws -> (ComparisonTables, CompareInputs) {
        let inputs = try CompareInputs.read(args)
        let builder = try ComparisonBuilder(options: options)
        builder.exactUnits = Set(inputs.unitMetadata.entries.compactMap { $0.value["assume"] == "exact" ? $0.key : nil })
        for input in inputs.inputs { builder.add(input.records) }
        return (builder.build(), inputs)
    }

    func testQueueText() throws {
        let (tables, _) = try compare(["old.txt=" + path("queue-old.txt"), "new.txt=" + path("queue-new.txt")])
        XCTAssertEqual(BenchstatTextRenderer.render(tables), try golden("queue.text"))
    }

    func testQueueCSVAndWarnings() throws {
        let (tables, _) = try compare(["old.txt=" + path("queue-old.txt"), "new.txt=" + path("queue-new.txt")])
        let (csv, warnings) = BenchstatCSVRenderer.render(tables)
        XCTAssertEqual(csv, try golden("queue.csv"))
        XCTAssertEqual(warnings, try golden("queue.csv-warnings"))
    }

    func testSmallSamplesSeparateTablesAndMalformedLine() throws {
        let (tables, inputs) = try compare(["old.txt=" + path("small-old.txt"), "new.txt=" + path("small-new.txt")])
        XCTAssertEqual(inputs.syntaxErrors.map(\.description), ["old.txt:6: parsing measurement: invalid syntax"])
        XCTAssertEqual(BenchstatTextRenderer.render(tables), try golden("small.text"))
        let (csv, warnings) = BenchstatCSVRenderer.render(tables)
        XCTAssertEqual(csv, try golden("small.csv"))
        XCTAssertEqual(inputs.syntaxErrors.map { $0.description + "\n" }.joined() + warnings, try golden("small.csv-warnings"))
    }

    func testColumnByNameKeyWithFilter() throws {
        var options = CompareOptions()
        options.col = "/size"
        options.row = ".name"
        options.filter = ".name:Other"
        let (tables, _) = try compare([path("small-old.txt")], options: options)
        XCTAssertEqual(BenchstatTextRenderer.render(tables), try golden("small-col.text"))
    }

    /// The figures of queue.text, derived from the definitions rather than read off the output.
    func testQueueNumbersDerivedByHand() throws {
        let (tables, _) = try compare(["old.txt=" + path("queue-old.txt"), "new.txt=" + path("queue-new.txt")])
        XCTAssertEqual(tables.tables.map(\.unit), ["sec/op", "B/op", "allocs/op"])
        let t = tables.tables[0]
        XCTAssertEqual(t.rows, ["Push-2", "Pop-2", "Peek-2"])
        // Push old 98,99,100,100,101,102: median 100 ns, n=6 → CI [x1, x6] = [98, 102] → 2%.
        let push = try XCTUnwrap(t.cells[0][1])
        XCTAssertEqual(t.cells[0][0]?.summary.center, 100 * 1e-9)
        XCTAssertEqual(t.cells[0][0]?.summary.rangeText, "2%")
        // New 118…122 entirely above old: p = 2/C(12,6) = 2/924 = 0.0022 → "p=0.002", +20.00%.
        XCTAssertEqual(push.comparison?.p ?? 0, 2.0 / 924.0, accuracy: 1e-15)
        XCTAssertEqual(push.comparison?.deltaText, "+20.00%")
        // Pop: old 190,195,200,200,205,210 vs new 191,196,200,201,204,209; tie at 200 → exact
        // conditional distribution: 145 of 154·… → p = 145/154 = 0.9416 (counted by brute force).
        XCTAssertEqual(t.cells[1][1]?.comparison?.p ?? 0, 145.0 / 154.0, accuracy: 1e-12)
        // Even n: median = a + 0.5·(b − a) of the stored (×1e-9) values, as benchstat computes it.
        XCTAssertEqual(t.cells[1][1]?.summary.center, 200 * 1e-9 + 0.5 * (201 * 1e-9 - 200 * 1e-9))
        // Geomean new: (120·200.5·50)^(1/3) ns = 106.36 ns; ratio √(1.2·1.0025) = 1.0968 → +9.68%.
        XCTAssertEqual(t.geomean[1].geomean ?? 0, pow(120 * 200.5 * 50, 1.0 / 3) * 1e-9, accuracy: 1e-18)
        XCTAssertEqual(t.geomean[1].ratio ?? 0, (1.2 * 1.0025).squareRoot(), accuracy: 1e-12)
    }
}
