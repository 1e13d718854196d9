import Foundation
import SurgeCompare
import SurgeStats

/// Machine-readable comparison: every table, cell summary, comparison and gate finding, with
/// numbers unscaled (base units) and the verdict and exit status.
public enum JSONRenderer {
    struct Document: Encodable {
        var schema = "surge.compare/v1"
        var alpha: Double
        var confidence: Double
        var tables: [Table]
        var verdict: String
        var exitStatus: Int32
        var regressions: Int
        var warnings: [String]
    }

    struct Table: Encodable {
        var config: [String: String]
        var unit: String
        var exact: Bool
        var columns: [String]
        var rows: [Row]
        var geomean: [Geomean]
    }

    struct Row: Encodable {
        var name: String
        var cells: [Cell?]
    }

    struct Cell: Encodable {
        var column: String
        var n: Int
        var center: Double
        var lo: Double?
        var hi: Double?
        var range: String
        var delta: String?
        var p: Double?
        var change: Double?
        var verdict: String?
        var threshold: Double?
        /// `gated`, `informational`, `derived`, `not-comparable`.
        var role: String?
        var thresholdSource: String?
        var noiseFloor: Double?
        var method: String?
        var warnings: [String]
    }

    struct Geomean: Encodable {
        var column: String
        var value: Double?
        var ratio: Double?
        var warnings: [String]
    }

    public static func render(_ tables: ComparisonTables, findings: [GateFinding], verdict: String, exitStatus: Int32,
                              warnings: [String] = []) throws -> String {
        var byKey: [String: GateFinding] = [:]
        for f in findings { byKey["\(f.table)\u{1}\(f.row)\u{1}\(f.column)"] = f }
        var docTables: [Table] = []
        for (ti, t) in tables.tables.enumerated() {
            let columns = t.columns.map { $0.joined(separator: " ") }
            var rows: [Row] = []
            for (r, name) in t.rows.enumerated() {
                var cells: [Cell?] = []
                for (c, cell) in t.cells[r].enumerated() {
                    guard let cell else { cells.append(nil); continue }
                    let finding = byKey["\(ti)\u{1}\(name)\u{1}\(columns[c])"]
                    cells.append(Cell(
                        column: columns[c], n: cell.summary.n, center: cell.summary.center,
                        lo: cell.summary.lo.isFinite ? cell.summary.lo : nil, hi: cell.summary.hi.isFinite ? cell.summary.hi : nil,
                        range: cell.summary.rangeText, delta: cell.comparison?.deltaText, p: cell.comparison?.p,
                        change: finding?.change.flatMap { $0.isFinite ? $0 : nil }, verdict: finding?.verdict.rawValue,
                        threshold: finding?.threshold, role: finding.map { Self.role($0.role) },
                        thresholdSource: finding?.thresholdSource?.rawValue, noiseFloor: finding?.noiseFloor, method: cell.method,
                        warnings: cell.sampleWarnings + cell.summary.warnings + (cell.comparison?.warnings ?? [])))
                }
                rows.append(Row(name: name, cells: cells))
            }
            var config: [String: String] = [:]
            for (k, v) in zip(tables.tableFields, t.config) where !v.isEmpty { config[k] = v }
            docTables.append(Table(config: config, unit: t.unit, exact: t.exact, columns: columns, rows: rows,
                                   geomean: zip(columns, t.geomean).map { Geomean(column: $0.0, value: $0.1.geomean, ratio: $0.1.ratio, warnings: $0.1.warnings) }))
        }
        let doc = Document(alpha: tables.alpha, confidence: tables.confidence, tables: docTables, verdict: verdict, exitStatus: exitStatus,
                           regressions: findings.filter(\.isRegression).count, warnings: warnings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
    }

    static func role(_ role: GateFinding.Role) -> String {
        switch role {
        case .gated: return "gated"
        case .informational: return "informational"
        case .derived(let source): return "derived from \(source)"
        case .notComparable(let why): return "not comparable: \(why)"
        }
    }
}
