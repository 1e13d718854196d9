import SurgeResults
import SurgeStats

/// benchstat's grouping and statistics options.
public struct CompareOptions: Sendable {
    public var table = ".config"
    public var row = ".fullname"
    public var col = ".file"
    public var ignore = ""
    public var filter = "*"
    public var alpha = 0.05
    public var confidence = 0.95

    public init() {}
}

/// Collects benchmark records into comparison tables the way benchstat's `benchtab.Builder` does:
/// each value is projected to a table (configuration + unit), a row and a column; each cell keeps
/// all its values; then every cell is summarised and compared with its row's baseline column.
public final class ComparisonBuilder {
    public let options: CompareOptions
    /// Units compared exactly (`Unit X assume=exact`, and Surge's counted metrics).
    public var exactUnits: Set<String> = []

    private let parser = ProjectionParser()
    private let tableBy: Projection
    private let rowBy: Projection
    private let colBy: Projection
    private let residueBy: Projection
    private let filter: BenchFilter

    private struct CellKey: Equatable {
        var row: Int
        var col: Int
    }

    private struct BuilderTable {
        /// Row and column keys in order of first use (`build()` sorts them).
        private(set) var rows: [Int] = []
        private(set) var cols: [Int] = []
        private var hasRow: [Bool] = []
        private var hasCol: [Bool] = []
        /// `cellsOfRow[row key]`: that row's cells as (column key, cell index); a row has a cell per
        /// column at most, a handful, so a list beats hashing the pair.
        private(set) var cellsOfRow: [[(col: Int, cell: Int)]] = []
        var values: [[Double]] = []
        var residues: [Set<Int>] = []
        /// The measuring method of each cell's values (Surge inputs); differing methods are joined by " + ".
        var methods: [String?] = []
        /// The cell the previous value went to: consecutive results of one benchmark share it.
        var lastKey = CellKey(row: -1, col: -1)
        var lastCell = -1
        var lastResidue = -1

        private static func mark(_ key: Int, in seen: inout [Bool], _ order: inout [Int]) {
            if key >= seen.count { seen.append(contentsOf: repeatElement(false, count: key - seen.count + 1)) }
            if !seen[key] {
                seen[key] = true
                order.append(key)
            }
        }

        private func cell(row: Int, col: Int) -> Int? {
            guard row < cellsOfRow.count else { return nil }
            for entry in cellsOfRow[row] where entry.col == col { return entry.cell }
            return nil
        }

        mutating func add(_ value: Double, row: Int, col: Int, residue: Int, method: String?) {
            let key = CellKey(row: row, col: col)
            let cell: Int
            if lastKey == key {
                cell = lastCell
            } else if let existing = self.cell(row: row, col: col) {
                cell = existing
            } else {
                cell = values.count
                if row >= cellsOfRow.count {
                    cellsOfRow.append(contentsOf: repeatElement([], count: row - cellsOfRow.count + 1))
                }
                cellsOfRow[row].append((col, cell))
                values.append([])
                residues.append([])
                methods.append(method)
                Self.mark(row, in: &hasRow, &rows)
                Self.mark(col, in: &hasCol, &cols)
            }
            values[cell].append(value)
            if let method, methods[cell] != method {
                if let known = methods[cell] {
                    if !known.split(separator: "+").contains(where: { $0.trimmingCharacters(in: .whitespaces) == method }) {
                        methods[cell] = known + " + " + method
                    }
                } else {
                    methods[cell] = method
                }
            }
            if lastCell != cell || lastResidue != residue {
                residues[cell].insert(residue)
                lastResidue = residue
            }
            lastKey = key
            lastCell = cell
        }
    }

    /// The tables, in order of creation; `tableSlot[key id]` is a table's index here (-1: none yet).
    /// Two arrays rather than `[BuilderTable?]`, so that adding a value never copies a table.
    private var tables: [BuilderTable] = []
    private var tableSlot: [Int] = []
    /// The previous record's projections: consecutive results of one benchmark project alike.
    private var lastName = ""
    private var lastFile = ""
    private var lastConfig: [BenchConfigEntry] = []
    private var lastValid = false
    private var lastTableRow: [String] = []
    private var lastRow = 0
    private var lastCol = 0
    private var lastResidue = 0
    private var lastUnitKeys: [(unit: String, key: Int)] = []

    public init(options: CompareOptions) throws(ExpressionError) {
        self.options = options
        guard options.alpha >= 0 && options.alpha <= 1 else { throw ExpressionError(flag: "-alpha", message: "-alpha must be in range [0, 1]") }
        guard options.confidence >= 0 && options.confidence <= 1 else { throw ExpressionError(flag: "-confidence", message: "-confidence must be in range [0, 1]") }
        filter = try BenchFilter(options.filter)
        tableBy = try parser.parse(options.table, flag: "-table", withUnit: true)
        rowBy = try parser.parse(options.row, flag: "-row")
        colBy = try parser.parse(options.col, flag: "-col")
        _ = try parser.parse(options.ignore, flag: "-ignore")
        residueBy = parser.residue()
    }

    public func add(_ records: [BenchRecord]) {
        for r in records { add(r) }
    }

    public func add(_ record: BenchRecord) {
        var keep: [Int]
        if filter.isMatchAll && parser.fixedFilters.isEmpty {
            addAll(record)
            return
        } else if filter.isMatchAll {
            keep = Array(record.values.indices)
        } else {
            if filter.usesUnit {
                keep = record.values.indices.filter { filter.matches(record, valueIndex: $0, fullname: parser.fullname) }
            } else {
                keep = filter.matches(record, valueIndex: 0, fullname: parser.fullname) ? Array(record.values.indices) : []
            }
        }
        for (source, allowed) in parser.fixedFilters where !allowed.contains(tableBy.extract(source, record)) { keep = [] }
        if keep.isEmpty { return }
        addSelected(record, keep)
    }

    private func addSelected(_ record: BenchRecord, _ keep: [Int]) {

        if lastValid, record.name == lastName, record.file == lastFile, Self.sameConfig(record.config, lastConfig) {
            for i in keep {
                let unit = record.values[i].unit
                let tableKey: Int
                if let known = lastUnitKeys.first(where: { $0.unit == unit }) {
                    tableKey = known.key
                } else {
                    if let u = tableBy.unitField { lastTableRow[u.index] = unit }
                    tableKey = tableBy.intern(lastTableRow)
                    lastUnitKeys.append((unit, tableKey))
                }
                addValue(record.values[i].value, table: tableKey, row: lastRow, col: lastCol, residue: lastResidue,
                         method: record.values[i].method)
            }
            return
        }
        // The next benchmark of the same file and configuration: projections that do not read the
        // name are the previous record's (its keys exist, so interning them again would change nothing).
        let sameSource = lastValid && record.file == lastFile && Self.sameConfig(record.config, lastConfig)
        let sameTables = sameSource && !tableBy.dependsOnName
        var tableRow = sameTables ? lastTableRow : tableBy.row(record)
        var tableKeys: [Int] = []
        var unitKeys: [(unit: String, key: Int)] = []
        for i in keep {
            let unit = record.values[i].unit
            let key: Int
            if sameTables, let known = lastUnitKeys.first(where: { $0.unit == unit }) {
                key = known.key
            } else {
                if let u = tableBy.unitField { tableRow[u.index] = unit }
                key = tableBy.intern(tableRow)
            }
            tableKeys.append(key)
            if !unitKeys.contains(where: { $0.unit == unit }) { unitKeys.append((unit, key)) }
        }
        let rowKey = rowBy.intern(rowBy.row(record))
        let colKey = sameSource && !colBy.dependsOnName ? lastCol : colBy.intern(colBy.row(record))
        let residueKey = residueBy.intern(residueBy.row(record))
        for (n, i) in keep.enumerated() {
            addValue(record.values[i].value, table: tableKeys[n], row: rowKey, col: colKey, residue: residueKey,
                     method: record.values[i].method)
        }
        lastValid = true
        lastName = record.name
        lastFile = record.file
        lastConfig = record.config
        lastTableRow = tableRow
        lastRow = rowKey
        lastCol = colKey
        lastResidue = residueKey
        lastUnitKeys = unitKeys
    }

    /// `add` for a record whose every value is kept (no filter).
    private func addAll(_ record: BenchRecord) {
        if lastValid, record.name == lastName, record.file == lastFile, Self.sameConfig(record.config, lastConfig) {
            for v in record.values {
                let tableKey: Int
                if let known = lastUnitKeys.first(where: { $0.unit == v.unit }) {
                    tableKey = known.key
                } else {
                    if let u = tableBy.unitField { lastTableRow[u.index] = v.unit }
                    tableKey = tableBy.intern(lastTableRow)
                    lastUnitKeys.append((v.unit, tableKey))
                }
                addValue(v.value, table: tableKey, row: lastRow, col: lastCol, residue: lastResidue, method: v.method)
            }
            return
        }
        addSelected(record, Array(record.values.indices))
    }

    /// Records read from one file share their configuration array's storage; check that first.
    private static func sameConfig(_ a: [BenchConfigEntry], _ b: [BenchConfigEntry]) -> Bool {
        let identical = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress && pa.count == pb.count } }
        return identical || a == b
    }

    private func addValue(_ value: Double, table: Int, row: Int, col: Int, residue: Int, method: String?) {
        if table >= tableSlot.count {
            tableSlot.append(contentsOf: repeatElement(-1, count: table - tableSlot.count + 1))
        }
        var slot = tableSlot[table]
        if slot < 0 {
            slot = tables.count
            tableSlot[table] = slot
            tables.append(BuilderTable())
        }
        tables[slot].add(value, row: row, col: col, residue: residue, method: method)
    }

    /// How long the last `build()` spent in `CellStatistics` (the rest of it is projection: sorting
    /// rows and columns, laying out cells, geomeans).
    public private(set) var statisticsDuration = Duration.zero

    private struct Layout {
        var key: Int
        var unit: String
        var exact: Bool
        var rows: [Int]
        var cols: [Int]
        /// grid[row][col] = cell index, -1 where there is none.
        var grid: [[Int]]
    }

    public func build() -> ComparisonTables {
        let tableKeys = tableBy.sorted(tableSlot.indices.filter { tableSlot[$0] >= 0 })
        let flatTable = tableBy.flattened
        let configFields = flatTable.filter { if case .unit = $0.source { return false } else { return true } }
        var layouts: [Layout] = []
        for tk in tableKeys {
            let t = tables[tableSlot[tk]]
            let unit = tableBy.unitField.map { tableBy.value(tk, $0) } ?? ""
            // benchstat looks the assumption up by the tidied unit: `Unit ns/op assume=exact` also covers
            // the values (zeros) that stay in the raw `ns/op` table.
            let exact = exactUnits.contains(unit) || exactUnits.contains(BenchUnit.tidy(unit).unit)
            let rows = rowBy.sorted(t.rows)
            let cols = colBy.sorted(t.cols)
            let colPosition = Dictionary(uniqueKeysWithValues: cols.enumerated().map { ($1, $0) })
            let rowPosition = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
            var grid = [[Int]](repeating: [Int](repeating: -1, count: cols.count), count: rows.count)
            for row in t.rows {
                guard let r = rowPosition[row] else { continue }
                for (col, index) in t.cellsOfRow[row] {
                    if let c = colPosition[col] { grid[r][c] = index }
                }
            }
            layouts.append(Layout(key: tk, unit: unit, exact: exact, rows: rows, cols: cols, grid: grid))
        }

        // Every cell's summary and every comparison with the baseline column, row by row.
        let jobs = layouts.map { layout in
            var pairs: [(base: Int, cell: Int)] = []
            for line in layout.grid where line[0] >= 0 {
                for c in line.indices.dropFirst() where line[c] >= 0 { pairs.append((line[0], line[c])) }
            }
            return CellStatistics.Job(values: tables[tableSlot[layout.key]].values, exact: layout.exact, pairs: pairs)
        }
        let clock = ContinuousClock()
        let started = clock.now
        let statistics = CellStatistics.compute(jobs, alpha: options.alpha, confidence: options.confidence)
        statisticsDuration = clock.now - started

        // Row labels once per row key: every unit's table has the same rows.
        var rowLabels = [String?](repeating: nil, count: rowBy.keyValues.count)
        func rowLabel(_ key: Int) -> String {
            if let known = rowLabels[key] { return known }
            let label = rowBy.stringValues(key)
            rowLabels[key] = label
            return label
        }
        var out: [ComparisonTable] = []
        for (l, layout) in layouts.enumerated() {
            let t = tables[tableSlot[layout.key]]
            let stats = statistics[l]
            var nextPair = 0
            var cells: [[ComparisonCell?]] = []
            cells.reserveCapacity(layout.rows.count)
            for line in layout.grid {
                var row: [ComparisonCell?] = []
                row.reserveCapacity(line.count)
                for (c, index) in line.enumerated() {
                    guard index >= 0 else {
                        row.append(nil)
                        continue
                    }
                    var cell = ComparisonCell(
                        values: stats.sorted[index], summary: stats.summaries[index], sampleWarnings: [],
                        comparison: nil, method: t.methods[index])
                    if c != 0, line[0] >= 0 {
                        cell.comparison = stats.comparisons[nextPair]
                        nextPair += 1
                        if let a = t.methods[line[0]], let b = t.methods[index], a != b {
                            cell.comparison?.methodMismatch = "\(a) vs \(b)"
                        }
                    }
                    if t.residues[index].count > 1 {
                        let varying = nonSingularFields(Array(t.residues[index]).sorted())
                        if !varying.isEmpty {
                            cell.sampleWarnings.append("benchmarks vary in " + varying.joined(separator: ", "))
                        }
                    }
                    row.append(cell)
                }
                cells.append(row)
            }
            let geomean = summarizeColumns(cells, columnCount: layout.cols.count)
            out.append(ComparisonTable(
                config: configFields.map { tableBy.value(layout.key, $0) }, unit: layout.unit, exact: layout.exact,
                columnFields: colBy.flattened.map(\.name),
                columns: layout.cols.map { c in colBy.flattened.map { colBy.value(c, $0) } },
                rows: layout.rows.map(rowLabel), cells: cells, geomean: geomean))
        }
        return ComparisonTables(tableFields: configFields.map(\.name), tables: out, alpha: options.alpha, confidence: options.confidence)
    }

    private func nonSingularFields(_ keys: [Int]) -> [String] {
        var out: [String] = []
        for field in residueBy.flattened {
            let first = residueBy.value(keys[0], field)
            if keys.dropFirst().contains(where: { residueBy.value($0, field) != first }) { out.append(field.name) }
        }
        return out
    }

    private func summarizeColumns(_ cells: [[ComparisonCell?]], columnCount: Int) -> [ColumnSummary] {
        let nBase = cells.filter { $0[0] != nil }.count
        var out: [ColumnSummary] = []
        for c in 0..<columnCount {
            var centers: [Double] = []
            var ratios: [Double] = []
            var badRatio = false
            for row in cells {
                guard let cell = row[c] else { continue }
                centers.append(cell.summary.center)
                if let cmp = cell.comparison {
                    if cmp.center == cmp.baselineCenter {
                        ratios.append(1)
                    } else if cmp.baselineCenter == 0 {
                        badRatio = true
                        ratios.append(0)
                    } else {
                        ratios.append(cmp.center / cmp.baselineCenter)
                    }
                }
            }
            var summary = ColumnSummary(geomean: nil, ratio: nil, isBaseline: c == 0, present: true, warnings: [])
            if c != 0 && nBase != ratios.count {
                summary.warnings.append("benchmark set differs from baseline; geomeans may not be comparable")
            }
            if let gm = GeoMean.of(centers) {
                summary.geomean = gm
            } else {
                summary.warnings.append("summaries must be >0 to compute geomean")
            }
            if c != 0 && !badRatio {
                if let gm = GeoMean.of(ratios) {
                    summary.ratio = gm
                } else {
                    summary.warnings.append("ratios must be >0 to compute geomean")
                }
            }
            out.append(summary)
        }
        return out
    }
}
