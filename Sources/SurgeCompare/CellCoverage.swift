/// Which benchmarks (cells) each column holds, so a comparison can say what it could not compare:
/// cells only in the baseline column, and cells missing from it.
struct CellCoverage {
    var onlyInBaseline: [String] = []
    var notInBaseline: [String: [String]] = [:]
    var baselineLabel = ""
    var columnOrder: [String] = []

    init(_ tables: ComparisonTables) {
        var inBase: [String] = []
        var seenBase = Set<String>()
        var inColumn: [String: Set<String>] = [:]
        var rowsOrder: [String] = []
        var seenRow = Set<String>()
        for table in tables.tables where table.columns.count > 1 {
            if baselineLabel.isEmpty { baselineLabel = table.columns[0].joined(separator: " ") }
            let columnLabels = table.columns.map { $0.joined(separator: " ") }
            for (r, label) in table.rows.enumerated() {
                if seenRow.insert(label).inserted { rowsOrder.append(label) }
                for (c, cell) in table.cells[r].enumerated() where cell != nil {
                    if c == 0 {
                        if seenBase.insert(label).inserted { inBase.append(label) }
                    } else {
                        let column = columnLabels[c]
                        if !columnOrder.contains(column) { columnOrder.append(column) }
                        inColumn[column, default: []].insert(label)
                    }
                }
            }
        }
        let anywhereElse = inColumn.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        onlyInBaseline = inBase.filter { !anywhereElse.contains($0) }
        for column in columnOrder {
            let missing = rowsOrder.filter { !seenBase.contains($0) && inColumn[column]!.contains($0) }
            if !missing.isEmpty { notInBaseline[column] = missing }
        }
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
