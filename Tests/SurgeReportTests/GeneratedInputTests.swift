import SurgeCompare
import Foundation
import XCTest
@testable import SurgeReport
@testable import SurgeResults

/// Properties of `surge compare` on seeded random benchmark-format inputs (`BenchFmtGenerator`): no
/// crash, the text and CSV renderings agree on every number, rows keep their first-seen order and
/// rendering is deterministic, and the CLI's exit status matches its verdict. A failure names the
/// seed; `BenchFmtGenerator(seed:)` reproduces the input.
final class GeneratedInputTests: XCTestCase {
    static let seeds: ClosedRange<UInt64> = 1...200
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-generated-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    func write(_ input: BenchFmtGenerator.Input, seed: UInt64) throws -> (folder: URL, args: [String]) {
        let folder = dir.appendingPathComponent("\(seed)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var args: [String] = []
        for file in input.files {
            try file.text.write(to: folder.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
            args.append(file.name + "=" + folder.appendingPathComponent(file.name).path)
        }
        return (folder, args)
    }

    func tables(_ args: [String]) throws -> ComparisonTables {
        let inputs = try CompareInputs.read(args)
        let builder = try ComparisonBuilder(options: CompareOptions())
        builder.exactUnits = Set(inputs.unitMetadata.entries.compactMap {
            $0.value["assume"] == "exact" ? $0.key : nil
        })
        for input in inputs.inputs { builder.add(input.records) }
        return builder.build()
    }

    func testTextAndCSVAgreeOnEveryNumberAndRowOrderIsStable() throws {
        var comparedCells = 0
        var tablesSeen = 0
        for seed in Self.seeds {
            var generator = BenchFmtGenerator(seed: seed)
            let input = generator.input()
            let (_, args) = try write(input, seed: seed)
            let built = try tables(args)
            let text = BenchstatTextRenderer.render(built)
            let (csv, warnings) = BenchstatCSVRenderer.render(built)
            // Deterministic: a second read and render gives the same bytes.
            let again = try tables(args)
            XCTAssertEqual(BenchstatTextRenderer.render(again), text, "seed \(seed): text not deterministic")
            XCTAssertEqual(BenchstatCSVRenderer.render(again).csv, csv, "seed \(seed): CSV not deterministic")
            XCTAssertFalse(warnings.contains("\n\n"), "seed \(seed)")
            let csvTables = CSVTables.parse(csv)
            let textTables = TextTables.parse(text, configLineCounts: csvTables.map(\.configLines.count))
            XCTAssertEqual(csvTables.count, built.tables.count, "seed \(seed)")
            XCTAssertEqual(textTables.count, built.tables.count, "seed \(seed)")
            guard csvTables.count == textTables.count else { continue }
            for (t, table) in built.tables.enumerated() {
                tablesSeen += 1
                comparedCells += try check(table, csv: csvTables[t], text: textTables[t], order: input.nameOrder,
                                           seed: seed)
            }
        }
        print("generated: \(tablesSeen) tables, \(comparedCells) compared cells")
        XCTAssertGreaterThan(tablesSeen, 500)
        XCTAssertGreaterThan(comparedCells, 300, "the generator must produce comparisons")
    }

    /// The CLI on generated inputs (text and CSV): exit 0 or 2 (1 for a file without results), 2 exactly when stderr's verdict
    /// says REGRESSION, and a regression always has a significant delta in the CSV (`±x%` or `?`). A malformed
    /// option exits 1 naming it.
    func testExitStatusMatchesVerdict() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let binary = root.appendingPathComponent(".build/debug/surge").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            XCTFail("surge binary missing at \(binary): build it first with `swift build`")
            return
        }
        var statuses: [Int32: Int] = [:]
        for seed in UInt64(1)...25 {
            var generator = BenchFmtGenerator(seed: seed)
            let (folder, _) = try write(generator.input(), seed: seed)
            let present = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            let names = ["old.txt", "new.txt", "third.txt"].filter(present.contains)
            let csv = try run(binary, ["compare", "-format", "csv"] + names, in: folder)
            let text = try run(binary, ["compare"] + names, in: folder)
            XCTAssertEqual(csv.status, text.status, "seed \(seed): text and CSV runs disagree on the verdict")
            for outcome in [csv, text] {
                statuses[outcome.status, default: 0] += 1
                // Exit 1 only for input that holds nothing to compare (broken input never passes).
                let nothing = outcome.stderr.contains(": no benchmark results") || outcome.stderr.contains("nothing compared")
                XCTAssertTrue([0, 2].contains(outcome.status) || (outcome.status == 1 && nothing),
                              "seed \(seed): exit \(outcome.status): \(outcome.stderr)")
                XCTAssertEqual(outcome.status == 2, outcome.stderr.contains("surge compare: REGRESSION"),
                               "seed \(seed)")
            }
            if csv.status == 2 {
                let deltas = CSVTables.parse(csv.stdout).flatMap(\.rows).filter { $0[0] != "geomean" }.flatMap { row in
                    stride(from: 5, to: row.count, by: 4).map { row[$0] }
                }
                // `?` is a significant change from a zero baseline (`~` is printed first when p > alpha).
                XCTAssertTrue(deltas.contains { $0.hasPrefix("+") || $0.hasPrefix("-") || $0 == "?" },
                              "seed \(seed): a regression without a significant change: \(deltas)")
            }
        }
        XCTAssertGreaterThan(statuses[0] ?? 0, 0)
        XCTAssertGreaterThan(statuses[2] ?? 0, 0, "some generated inputs must regress")
        let bad = try run(binary, ["compare", "-confidence", "2", "old.txt"], in: dir)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("-confidence"), bad.stderr)
    }

    func run(_ binary: String, _ args: [String], in folder: URL) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = args
        process.currentDirectoryURL = folder
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Checks one table; returns the number of compared (non-baseline) cells.
    func check(_ table: ComparisonTable, csv: CSVTables.Table, text: TextTables.Table, order: [String],
               seed: UInt64) throws -> Int {
        let context = "seed \(seed) table \(table.unit)"
        XCTAssertEqual(csv.rows.dropLast().map { $0[0] }, table.rows, context)
        XCTAssertEqual(csv.rows.last?[0], "geomean", context)
        XCTAssertEqual(text.rows.count, table.rows.count + (table.rows.count > 1 ? 1 : 0), context)
        // First-seen order: labels are a subsequence of the input's order of first appearance.
        let positions = table.rows.map { order.firstIndex(of: $0) ?? -1 }
        XCTAssertFalse(positions.contains(-1), context)
        XCTAssertEqual(positions, positions.sorted(), "\(context): rows out of first-seen order")
        let cls = BenchUnit.classOf(table.unit)
        var compared = 0
        for (r, record) in csv.rows.enumerated() where r < table.rows.count {
            let line = text.rows[r]
            XCTAssertTrue(line.hasPrefix(table.rows[r] + " "), "\(context): text row \(r) is \(line)")
            // Parse this row's cells from the CSV and expect each number, formatted for text, in order.
            var centers: [Double] = []
            var expected: [(center: Double, range: String, delta: String?, stat: String?)] = []
            for (c, cell) in table.cells[r].enumerated() {
                guard cell != nil else { continue }
                let start = c == 0 ? 1 : 3 + (c - 1) * 4
                let center = try XCTUnwrap(Double(record[start]), "\(context): CSV center \(record[start])")
                centers.append(center)
                let hasDelta = c > 0 && record.count > start + 2 && !record[start + 2].isEmpty
                expected.append((center, record[start + 1], hasDelta ? record[start + 2] : nil,
                                 hasDelta ? record[start + 3] : nil))
            }
            let scaler = ValueScaler.common(centers, cls)
            var rest = Substring(line.dropFirst(table.rows[r].count))
            for cell in expected {
                var pieces = [scaler.format(cell.center), "±", cell.range]
                if let delta = cell.delta, let stat = cell.stat {
                    pieces += [delta, "(" + stat + ")"]
                    compared += 1
                }
                for piece in pieces {
                    guard let found = rest.range(of: piece) else {
                        XCTFail("\(context): text row `\(line)` lacks `\(piece)` (CSV \(record))")
                        return compared
                    }
                    rest = rest[found.upperBound...]
                }
            }
        }
        if table.rows.count > 1, let record = csv.rows.last, let line = text.rows.last {
            XCTAssertEqual(record[0], "geomean", context)
            var rest = Substring(line)
            for (c, summary) in table.geomean.enumerated() {
                let start = c == 0 ? 1 : 3 + (c - 1) * 4
                if summary.geomean != nil {
                    let gm = try XCTUnwrap(Double(record[start]), context)
                    let piece = ValueScaler.scale(gm, cls)
                    guard let found = rest.range(of: piece) else {
                        XCTFail("\(context): geomean `\(line)` lacks \(piece)")
                        break
                    }
                    rest = rest[found.upperBound...]
                }
                if c > 0 {
                    let ratio = record[start + 2]
                    guard let found = rest.range(of: ratio) else {
                        XCTFail("\(context): geomean `\(line)` lacks \(ratio)")
                        break
                    }
                    rest = rest[found.upperBound...]
                }
            }
        }
        return compared
    }
}

/// benchstat CSV split into tables: configuration records, header rows, data rows (geomean last).
enum CSVTables {
    struct Table {
        var configLines: [String] = []
        var rows: [[String]] = []
    }

    static func parse(_ csv: String) -> [Table] {
        var tables: [Table] = []
        var current = Table()
        var inHeader = true
        for line in csv.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.isEmpty {
                tables.append(current)
                current = Table()
                inHeader = true
                continue
            }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if inHeader {
                if fields.count == 1 {
                    current.configLines.append(fields[0])
                } else if fields.count > 2 && fields[2] == "CI" {
                    inHeader = false
                }
                continue
            }
            current.rows.append(fields)
        }
        if !current.rows.isEmpty || !current.configLines.isEmpty { tables.append(current) }
        return tables
    }
}

/// benchstat text split into tables: the data and geomean lines of each (headers, footnotes dropped).
enum TextTables {
    struct Table {
        var rows: [String] = []
    }

    static func parse(_ text: String, configLineCounts: [Int]) -> [Table] {
        let superscripts = Set("⁰¹²³⁴⁵⁶⁷⁸⁹")
        var tables: [Table] = []
        var current = Table()
        var skipConfig = configLineCounts.first ?? 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.isEmpty {
                tables.append(current)
                current = Table()
                skipConfig = tables.count < configLineCounts.count ? configLineCounts[tables.count] : 0
                continue
            }
            if skipConfig > 0 {
                skipConfig -= 1
                continue
            }
            if line.contains("│") { continue }
            if let first = line.first, superscripts.contains(first) { continue }
            current.rows.append(String(line))
        }
        tables.append(current)
        return tables
    }
}
