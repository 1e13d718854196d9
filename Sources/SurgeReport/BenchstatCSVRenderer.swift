import SurgeCompare
import SurgeStats

/// Renders comparison tables as benchstat's CSV (benchtab `Tables.ToCSV`): configuration lines as
/// one-field records, a blank record between tables, column-key and unit header rows, unscaled
/// values printed like Go's `fmt.Sprint`, a geomean row always; warnings go to a separate stream as
/// `<column><row>: message` spreadsheet references (`B7: need >= 6 samples…`).
public enum BenchstatCSVRenderer {
    public static func render(_ tables: ComparisonTables) -> (csv: String, warnings: String) {
        var writer = CSVWriter()
        var warnings = ""
        var rowNumber = 1
        var previous: [String]?
        for (i, table) in tables.tables.enumerated() {
            if i > 0 {
                writer.write([""])
                rowNumber += 1
            }
            for (k, field) in tables.tableFields.enumerated() {
                let value = k < table.config.count ? table.config[k] : ""
                if previous == nil || previous![k] != value {
                    writer.write(["\(field): \(value)"])
                    rowNumber += 1
                }
            }
            previous = table.config
            rowNumber += render(table, into: &writer, startRow: rowNumber, warnings: &warnings)
        }
        return (writer.output, warnings)
    }

    static func startCol(_ exp: Int) -> Int { exp == 0 ? 1 : 1 + 2 + (exp - 1) * 4 }

    static func columnName(_ x: Int) -> String {
        var letters: [Character] = []
        var x = x
        while x > 0 {
            letters.insert(Character(Unicode.Scalar(UInt8(65 + x % 26))), at: 0)
            x /= 26
        }
        return letters.isEmpty ? "A" : String(letters)
    }

    static func render(_ table: ComparisonTable, into writer: inout CSVWriter, startRow: Int, warnings: inout String) -> Int {
        var rowCount = 0
        var row: [String] = []
        func clearTo(_ col: Int) { while row.count < col { row.append("") } }
        func emit() {
            writer.write(row)
            row.removeAll(keepingCapacity: true)
            rowCount += 1
        }
        func warn(_ messages: [String]) {
            let name = columnName(row.count)
            for m in messages { warnings += "\(name)\(startRow + rowCount): \(m)\n" }
        }
        let width = startCol(table.columns.count)
        for level in table.columnFields.indices {
            for (exp, col) in table.columns.enumerated() {
                clearTo(startCol(exp))
                row.append(col[level])
            }
            clearTo(width)
            emit()
        }
        for exp in table.columns.indices {
            clearTo(startCol(exp))
            row.append(table.unit)
            row.append("CI")
            if exp > 0 {
                row.append("vs base")
                row.append("P")
            }
        }
        emit()
        for (r, label) in table.rows.enumerated() {
            row.append(label)
            for (exp, cell) in table.cells[r].enumerated() {
                guard let cell else { continue }
                clearTo(startCol(exp))
                warn(cell.sampleWarnings)
                warn(cell.summary.warnings)
                row.append(GoFloatFormat.shortest(cell.summary.center))
                row.append(cell.summary.rangeText)
                if exp > 0, let cmp = cell.comparison {
                    warn(cmp.warnings)
                    row.append(cmp.deltaText)
                    row.append(cmp.statText)
                }
            }
            emit()
        }
        row.append("geomean")
        for (exp, summary) in table.geomean.enumerated() {
            clearTo(startCol(exp))
            warn(summary.warnings)
            if let gm = summary.geomean { row.append(GoFloatFormat.shortest(gm)) }
            if exp > 0 {
                clearTo(startCol(exp) + 2)
                if let ratio = summary.ratio {
                    row.append(GoFloatFormat.signedFixed((ratio - 1) * 100, 2) + "%")
                } else {
                    row.append("?")
                }
            }
        }
        clearTo(width)
        emit()
        return rowCount
    }
}

/// Go `encoding/csv` writing: quote a field only when it holds a comma, quote, CR or LF, starts
/// with white space, or is `\.`; quotes doubled; records end with `\n`.
struct CSVWriter {
    private(set) var output = ""

    mutating func write(_ record: [String]) {
        for (i, field) in record.enumerated() {
            if i > 0 { output += "," }
            if Self.needsQuotes(field) {
                output += "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            } else {
                output += field
            }
        }
        output += "\n"
    }

    static func needsQuotes(_ field: String) -> Bool {
        if field.isEmpty { return false }
        if field == "\\." { return true }
        if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) { return true }
        return field.unicodeScalars.first.map { $0.properties.isWhitespace } ?? false
    }
}

import Foundation
