/// Which benchmarks (cells) each column holds, so a comparison can say what it could not compare:
/// cells only in the baseline column, and cells missing from it.
struct CellCoverage {
    var onlyInBaseline: [String] = []
    var notInBaseline: [String: [String]] = [:]
    var baselineLabel = ""
    var columnOrder: [String] = []

    /// Rows are numbered by label once (every unit's table repeats them); the rest is arrays of flags.
    init(_ tables: ComparisonTables) {
        var number: [String: Int] = [:]
        var labels: [String] = []
        var inBase: [Int] = []
        var seenBase: [Bool] = []
        var columnNumber: [String: Int] = [:]
        var inColumn: [[Bool]] = []
        for table in tables.tables where table.columns.count > 1 {
            if baselineLabel.isEmpty { baselineLabel = table.columns[0].joined(separator: " ") }
            let columnLabels = table.columns.map { $0.joined(separator: " ") }
            for (r, label) in table.rows.enumerated() {
                let (k, newRow) = Self.number(label, &number, &labels)
                if newRow {
                    seenBase.append(false)
                    for j in inColumn.indices { inColumn[j].append(false) }
                }
                let line = table.cells[r]
                for c in line.indices where line[c] != nil {
                    if c == 0 {
                        if !seenBase[k] {
                            seenBase[k] = true
                            inBase.append(k)
                        }
                        continue
                    }
                    let (j, newColumn) = Self.number(columnLabels[c], &columnNumber, &columnOrder)
                    if newColumn { inColumn.append([Bool](repeating: false, count: labels.count)) }
                    inColumn[j][k] = true
                }
            }
        }
        let elsewhere = { (k: Int) in inColumn.contains { $0[k] } }
        onlyInBaseline = inBase.filter { !elsewhere($0) }.map { labels[$0] }
        for (j, column) in columnOrder.enumerated() {
            let missing = labels.indices.filter { !seenBase[$0] && inColumn[j][$0] }.map { labels[$0] }
            if !missing.isEmpty { notInBaseline[column] = missing }
        }
    }

    /// `label`'s number in order of first sight, and whether it was new (then it is added to both).
    private static func number(
        _ label: String, _ numbers: inout [String: Int], _ order: inout [String]
    ) -> (Int, isNew: Bool) {
        if let known = numbers[label] { return (known, false) }
        numbers[label] = order.count
        order.append(label)
        return (order.count - 1, true)
    }

    /// `cells only in OLD (not compared): A, B`, `cells of NEW not in OLD: C`.
    var sentences: [String] {
        var out: [String] = []
        if !onlyInBaseline.isEmpty {
            out.append("cells only in \(baselineLabel) (not compared): " + Self.list(onlyInBaseline))
        }
        for column in columnOrder {
            if let missing = notInBaseline[column] {
                out.append("cells of \(column) not in \(baselineLabel) (not compared): " + Self.list(missing))
            }
        }
        return out
    }

    static func list(_ names: [String]) -> String {
        names.count <= 6
            ? names.joined(separator: ", ") : names.prefix(6).joined(separator: ", ") + " and \(names.count - 6) more"
    }
}
