import SurgeCompare
import SurgeResults
import SurgeStats

/// Renders comparison tables as benchstat's text output (benchtab `Table.ToText` + `Tables.ToText`),
/// byte for byte: configuration lines when they change, the column header(s) with `│` rules, the
/// unit row, one row per benchmark (`center ± range` and `delta (p=… n=…)`), the geomean row for
/// tables with more than one row, then the table's footnotes.
public enum BenchstatTextRenderer {
    /// Tables are laid out independently, so they are rendered side by side (one per unit, three for
    /// `go test -benchmem` output) and joined in order.
    public static func render(_ tables: ComparisonTables) -> String {
        let list = tables.tables
        let rendered = list.count > 1 ? EveryCore.map(list.count) { render(list[$0]) } : list.map { render($0) }
        var out = ""
        var previous: [String]?
        for (i, table) in list.enumerated() {
            if i > 0 { out += "\n" }
            for (k, field) in tables.tableFields.enumerated() {
                let value = k < table.config.count ? table.config[k] : ""
                if previous == nil || previous![k] != value { out += "\(field): \(value)\n" }
            }
            previous = table.config
            out += rendered[i]
        }
        return out
    }

    static func startCol(_ exp: Int) -> Int { exp == 0 ? 1 : 1 + 3 + (exp - 1) * 6 }

    public static func render(_ table: ComparisonTable) -> String {
        var grid = TextGrid()
        var footnotes: [String] = []
        var footnoteIndex: [String: Int] = [:]
        func warn(_ lists: [String]...) {
            if lists.allSatisfy({ $0.isEmpty }) {
                grid.cell("")
                return
            }
            var marks: [String] = []
            for list in lists {
                for message in list {
                    let index: Int
                    if let existing = footnoteIndex[message] { index = existing } else {
                        index = footnotes.count
                        footnoteIndex[message] = index
                        footnotes.append(message)
                    }
                    marks.append(superscript(index + 1))
                }
            }
            grid.cell(marks.joined(separator: " "))
        }

        // Column headers: one level per column field, spanning groups of equal values.
        let rEdge = startCol(table.columns.count + 1)
        for level in 0..<table.columnFields.count {
            grid.row()
            var start = 0
            while start < table.columns.count {
                var end = start + 1
                while end < table.columns.count && table.columns[end][0...level] == table.columns[start][0...level] { end += 1 }
                let l = startCol(start)
                let r = startCol(end)
                grid.col(l)
                grid.span(r - l, table.columns[start][level], .center, margin: " │ ")
                start = end
            }
            grid.col(rEdge)
            grid.cell("", margin: " │")
        }

        grid.row()
        for i in table.columns.indices {
            let l = startCol(i)
            grid.col(l)
            grid.span(3, table.unit, .center, margin: " │ ")
            if i > 0 { grid.span(3, "vs base", .left, margin: "  ") }
            for j in (l + 1)..<grid.currentCol { grid.setShrink(j) }
        }
        grid.col(rEdge)
        grid.cell("", margin: " │")

        let cls = BenchUnit.classOf(table.unit)
        for (r, label) in table.rows.enumerated() {
            grid.row()
            grid.cell(label)
            let scaler = ValueScaler.common(table.cells[r].compactMap { $0?.summary.center }, cls)
            for (exp, cell) in table.cells[r].enumerated() {
                guard let cell else { continue }
                grid.col(startCol(exp))
                grid.cell(scaler.format(cell.summary.center), .right)
                grid.cell(cell.summary.rangeText, .right, margin: " ± ")
                warn(cell.sampleWarnings, cell.summary.warnings)
                if exp > 0, let cmp = cell.comparison {
                    grid.cell(cmp.deltaText, .right)
                    grid.cell("(" + cmp.statText + ")")
                    warn(cmp.warnings)
                }
            }
        }

        if table.rows.count > 1 {
            grid.row()
            grid.cell("geomean")
            for (exp, summary) in table.geomean.enumerated() {
                if let gm = summary.geomean {
                    grid.col(startCol(exp))
                    grid.cell(ValueScaler.scale(gm, cls), .right)
                }
                if exp > 0 {
                    grid.col(startCol(exp) + 3)
                    if let ratio = summary.ratio {
                        grid.cell(GoFloatFormat.signedFixed((ratio - 1) * 100, 2) + "%", .right)
                    } else {
                        grid.cell("?")
                    }
                }
                grid.col(startCol(exp + 1) - 1)
                warn(summary.warnings)
            }
        }

        var out = grid.format()
        for (i, message) in footnotes.enumerated() {
            out += "\(superscript(i + 1)) \(message)\n"
        }
        return out
    }

    /// Superscript digits, split into characters once (every footnote mark of every row uses them).
    private static let superscriptDigits = Array("⁰¹²³⁴⁵⁶⁷⁸⁹").map(String.init)

    static func superscript(_ i: Int) -> String {
        if i == 0 { return superscriptDigits[0] }
        var n = i
        var out = ""
        while n > 0 {
            out = superscriptDigits[n % 10] + out
            n /= 10
        }
        return out
    }
}
