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

    private struct CellKey: Hashable {
        var row: Int
        var col: Int
    }

    private struct BuilderTable {
        var rows: Set<Int> = []
        var cols: Set<Int> = []
        var cellIndex: [CellKey: Int] = [:]
        var values: [[Double]] = []
        var residues: [Set<Int>] = []
        /// The measuring method of each cell's values (Surge inputs); differing methods are joined by " + ".
        var methods: [String?] = []
        /// The cell the previous value went to: consecutive results of one benchmark share it.
        var lastKey = CellKey(row: -1, col: -1)
        var lastCell = -1
        var lastResidue = -1

        mutating func add(_ value: Double, row: Int, col: Int, residue: Int, method: String?) {
            let key = CellKey(row: row, col: col)
            let cell: Int
            if lastKey == key {
                cell = lastCell
            } else if let existing = cellIndex[key] {
                cell = existing
            } else {
                cell = values.count
                cellIndex[key] = cell
                values.append([])
                residues.append([])
                methods.append(method)
                rows.insert(row)
                cols.insert(col)
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

    /// Indexed by table key id (ids are dense).
    private var tables: [BuilderTable?] = []
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
        var tableRow = tableBy.row(record)
        var tableKeys: [Int] = []
        var unitKeys: [(unit: String, key: Int)] = []
        for i in keep {
            if let u = tableBy.unitField { tableRow[u.index] = record.values[i].unit }
            let key = tableBy.intern(tableRow)
            tableKeys.append(key)
            if !unitKeys.contains(where: { $0.unit == record.values[i].unit }) { unitKeys.append((record.values[i].unit, key)) }
        }
        let rowKey = rowBy.intern(rowBy.row(record))
        let colKey = colBy.intern(colBy.row(record))
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
        while tables.count <= table { tables.append(nil) }
        if tables[table] == nil { tables[table] = BuilderTable() }
        tables[table]!.add(value, row: row, col: col, residue: residue, method: method)
    }

    public func build() -> ComparisonTables {
        let tableKeys = tableBy.sorted(tables.indices.filter { tables[$0] != nil })
        let flatTable = tableBy.flattened
        let configFields = flatTable.filter { if case .unit = $0.source { return false } else { return true } }
        var out: [ComparisonTable] = []
        for tk in tableKeys {
            guard let t = tables[tk] else { continue }
            let unit = tableBy.unitField.map { tableBy.value(tk, $0) } ?? ""
            // benchstat looks the assumption up by the tidied unit: `Unit ns/op assume=exact` also covers
            // the values (zeros) that stay in the raw `ns/op` table.
            let exact = exactUnits.contains(unit) || exactUnits.contains(BenchUnit.tidy(unit).unit)
            let rows = rowBy.sorted(Array(t.rows))
            let cols = colBy.sorted(Array(t.cols))
            let colPosition = Dictionary(uniqueKeysWithValues: cols.enumerated().map { ($1, $0) })
            let rowPosition = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
            // grid[row][col] = cell index
            var grid = [[Int]](repeating: [Int](repeating: -1, count: cols.count), count: rows.count)
            for (key, index) in t.cellIndex {
                if let r = rowPosition[key.row], let c = colPosition[key.col] { grid[r][c] = index }
            }
            var sortedValues = [[Double]](repeating: [], count: t.values.count)
            var summaries = [Summary?](repeating: nil, count: t.values.count)
            for (i, v) in t.values.enumerated() {
                let sorted = v.sorted()
                sortedValues[i] = sorted
                summaries[i] = exact ? Summary.exact(sorted) : Summary(sorted: sorted, confidence: options.confidence)
            }
            var cells: [[ComparisonCell?]] = []
            cells.reserveCapacity(rows.count)
            for r in rows.indices {
                var line: [ComparisonCell?] = []
                line.reserveCapacity(cols.count)
                let baseIndex = grid[r][0]
                for c in cols.indices {
                    let index = grid[r][c]
                    guard index >= 0, let summary = summaries[index] else {
                        line.append(nil)
                        continue
                    }
                    var cell = ComparisonCell(values: sortedValues[index], summary: summary, sampleWarnings: [], comparison: nil,
                                              method: t.methods[index])
                    if c != 0, baseIndex >= 0, let baseSummary = summaries[baseIndex] {
                        cell.comparison = compare(sortedValues[baseIndex], sortedValues[index], exact: exact, baseCenter: baseSummary.center, center: summary.center)
                        if let a = t.methods[baseIndex], let b = t.methods[index], a != b {
                            cell.comparison?.methodMismatch = "\(a) vs \(b)"
                        }
                    }
                    if t.residues[index].count > 1 {
                        let varying = nonSingularFields(Array(t.residues[index]).sorted())
                        if !varying.isEmpty { cell.sampleWarnings.append("benchmarks vary in " + varying.joined(separator: ", ")) }
                    }
                    line.append(cell)
                }
                cells.append(line)
            }
            let geomean = summarizeColumns(cells, columnCount: cols.count)
            out.append(ComparisonTable(
                config: configFields.map { tableBy.value(tk, $0) }, unit: unit, exact: exact,
                columnFields: colBy.flattened.map(\.name),
                columns: cols.map { c in colBy.flattened.map { colBy.value(c, $0) } },
                rows: rows.map { rowBy.stringValues($0) }, cells: cells, geomean: geomean))
        }
        return ComparisonTables(tableFields: configFields.map(\.name), tables: out, alpha: options.alpha, confidence: options.confidence)
    }

    private func compare(_ base: [Double], _ values: [Double], exact: Bool, baseCenter: Double, center: Double) -> CellComparison {
        if exact {
            return CellComparison(p: 0, n1: base.count, n2: values.count, alpha: 0, baselineCenter: baseCenter, center: center, warnings: [])
        }
        do {
            let test = try MannWhitneyU(sorted: base, values)
            var comparison = CellComparison(p: test.p, n1: base.count, n2: values.count, alpha: options.alpha, baselineCenter: baseCenter, center: center, warnings: [])
            if test.p > options.alpha {
                let need = MannWhitneyU.samplesNeeded(alpha: options.alpha)
                if base.count < need.n && values.count < need.n {
                    comparison.warnings.append("need \(need.op) \(need.n) samples to detect a difference at alpha level \(GoFloatFormat.shortest(options.alpha))")
                }
            }
            return comparison
        } catch {
            return CellComparison(p: 1, n1: base.count, n2: values.count, alpha: options.alpha, baselineCenter: baseCenter, center: center, warnings: [error.description])
        }
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
