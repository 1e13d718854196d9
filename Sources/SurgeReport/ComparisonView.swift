import Foundation
import SurgeCompare
import SurgeResults
import SurgeStats

/// The comparison with a baseline as both run-report pages show it: Surge's metric names (`ns/op`,
/// `p99-ns`, not benchstat's `sec/op`, `p99-sec`) and the page's number formats. The figures and
/// verdicts are `surge compare`'s; only `surge compare`'s own text, CSV and benchfmt output keep
/// benchstat's units, where benchstat and its readers expect them.
struct ComparisonView {
    struct Row {
        var label: String
        var old: String
        var new: String
        var delta: String
        var raw: String
        var stat: String
        var verdict: String
        var verdictClass: String
    }

    struct Table {
        /// The metric as Surge names it.
        var metric: String
        var headUnit: String
        var direction: String
        var threshold: String
        var rows: [Row]
        var geomean: (old: String, new: String, delta: String)?
        /// Gated by a threshold (shown first; the rest are folded).
        var isKey: Bool
    }

    var tables: [Table]
    /// Some figure had no interval (too few repetitions): the footnote says so once.
    var someWithoutInterval = false

    init(_ c: RunComparison, report: RunReport) {
        var tables: [Table] = []
        var without = false
        for (ti, table) in c.tables.tables.enumerated() {
            let metric = Metric.canonicalName(table.unit)
            // Tidied values (seconds, bytes) back to the unit Surge writes (ns).
            let toSurge = 1 / BenchUnit.tidy(metric).factor
            let scale = report.scale(
                metric, values: table.cells.flatMap { $0.compactMap { $0.map { $0.summary.center * toSurge } } })
            func figure(_ cell: ComparisonCell?) -> String {
                guard let cell else { return "—" }
                let s = cell.summary
                let value = scale.number(s.center * toSurge)
                if s.lo.isInfinite || s.hi.isInfinite {
                    without = true
                    return value
                }
                if s.rangeText == "?" {
                    return "\(value) (\(scale.number(s.lo * toSurge)) to \(scale.number(s.hi * toSurge)))"
                }
                return "\(value) ± \(s.rangeText)"
            }
            var rows: [Row] = []
            for (r, label) in table.rows.enumerated() {
                let cells = table.cells[r]
                let new = cells.count > 1 ? cells[1] : nil
                let finding = c.finding(table: ti, row: label)
                rows.append(
                    Row(
                        label: report.cellLabel(row: label), old: figure(cells.first.flatMap { $0 }), new: figure(new),
                        delta: new?.comparison?.deltaText ?? "",
                        raw: new?.comparison?.relativeChange.map {
                            "(" + GoFloatFormat.signedFixed($0 * 100, 1) + "% median)"
                        } ?? "",
                        stat: new?.comparison?.statText ?? "",
                        verdict: finding.map(HTMLReportRenderer.verdictText) ?? "not compared",
                        verdictClass: finding?.isRegression == true
                            ? "regression" : (finding?.isImprovement == true ? "improvement" : "")))
            }
            var geomean: (String, String, String)?
            if table.rows.count > 1, table.geomean.count > 1 {
                geomean = (
                    table.geomean[0].geomean.map { scale.number($0 * toSurge) } ?? "",
                    table.geomean[1].geomean.map { scale.number($0 * toSurge) } ?? "",
                    table.geomean[1].ratio.map { GoFloatFormat.signedFixed(($0 - 1) * 100, 2) + "%" } ?? "?"
                )
            }
            let gated = c.findings.filter { $0.table == ti && $0.isGated }
            let limits = Set(gated.compactMap(\.threshold)).sorted()
            let threshold =
                limits.isEmpty
                ? "none (informational)"
                : limits.map { GoFloatFormat.shortest(($0 * 1000).rounded() / 10) + "%" }.joined(separator: " / ")
            tables.append(
                Table(
                    metric: metric, headUnit: scale.headUnit,
                    direction: MetricDirection(unit: metric) == .higherIsBetter
                        ? "higher is better" : "lower is better",
                    threshold: threshold, rows: rows, geomean: geomean, isKey: !gated.isEmpty))
        }
        self.tables = tables
        someWithoutInterval = without
    }
}
