import Foundation
import Mustache
import SurgeCompare
import SurgeResults
import SurgeStats

/// Self-contained HTML reports (CSS and SVG charts inline, nothing fetched) rendered with
/// swift-mustache from `HTMLTemplates`. Every value from a scenario or result goes through a
/// `{{…}}` tag, which HTML-escapes it.
public enum HTMLReportRenderer {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let templates: [(String, String)] = [
            ("page", HTMLTemplates.page), ("findings", HTMLTemplates.findings), ("metadata", HTMLTemplates.metadata),
            ("cellTable", HTMLTemplates.cellTable), ("comparison", HTMLTemplates.comparison), ("comparisonTable", HTMLTemplates.comparisonTable), ("charts", HTMLTemplates.charts),
            ("failed", HTMLTemplates.failed), ("body", HTMLTemplates.runBody), ("weeklyBody", WeeklyTemplates.body),
        ]
        for (name, text) in templates {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("HTML template '\(name)' does not parse: \(error)")
            }
        }
        return library
    }()

    /// Renders a page with `body` as the page's body partial.
    static func page(_ context: [String: Any], body: String) -> String {
        var library = library
        if let template = library.getTemplate(named: body) { library.register(template, named: "body") }
        var context = context
        context["style"] = HTMLTemplates.style
        return library.render(context, withTemplate: "page") ?? ""
    }

    /// The run report page; `svg`: chart id → inline SVG; `chartsNote`: why charts are missing.
    public static func render(_ report: RunReport, svg: [String: String], chartsNote: String?) -> String {
        var context: [String: Any] = [
            "title": "Surge report: \(report.run.scenario.name)",
            "subtitle": "\(report.run.runID) · \(report.run.source.map { "commit " + String($0.commit.prefix(12)) + ($0.dirty ? "+dirty" : "") } ?? "commit unknown") · \(report.run.host.hostname)",
            "headline": report.headline, "hasHeadline": !report.headline.isEmpty,
            "metadata": report.metadata.map { ["label": $0.0, "value": $0.1] }, "notes": report.run.notes, "hasNotes": !report.run.notes.isEmpty,
            "footer": "Every figure traces to \(report.runPath ?? report.run.runID)\(report.baselinePath.map { " and the baseline \($0)" } ?? ""). Medians and 95% confidence intervals as benchstat computes them; comparisons by Mann-Whitney U at α = 0.05.",
        ]
        context.merge(cellTable(report)) { $1 }
        context.merge(failed(report.failedCells)) { $1 }
        context.merge(charts(report.charts, svg: svg, note: chartsNote)) { $1 }
        context.merge(ProfileLinks.context(report)) { $1 }
        if let c = report.comparison {
            context["verdict"] = c.verdict
            context["verdictClass"] = !c.regressions.isEmpty ? "bad" : (c.lacksPower ? "none" : "ok")
            if c.regressions.isEmpty && c.lacksPower { context["verdict"] = c.verdict + " — inconclusive: too few repetitions to detect a change" }
            context["comparison"] = comparison(c, label: report.cellLabel(row:))
            context["regressionsSection"] = findings(c.regressions, c.improvements, report: report)
        } else {
            context["verdict"] = false
            context["comparison"] = false
            context["regressionsSection"] = false
        }
        return page(context, body: "body")
    }

    static func cellTable(_ report: RunReport) -> [String: Any] {
        let cells = report.digest.okCells
        let units = report.tableUnits
        let fastest = report.fastestCell?.cell.name
        var infinite = false
        var rows: [[String: Any]] = []
        let maxima = Dictionary(uniqueKeysWithValues: units.map { u in (u, cells.compactMap { $0.summaries[u]?.center }.max() ?? 0) })
        for c in cells {
            var values: [[String: Any]] = []
            for u in units {
                guard let s = c.summaries[u] else {
                    values.append(["value": "", "range": "", "cls": "", "bar": "0", "present": false])
                    continue
                }
                if s.lo.isInfinite || s.hi.isInfinite { infinite = true }
                let isThroughput = report.digest.primaryThroughputUnits.contains(u)
                let bar = isThroughput && (maxima[u] ?? 0) > 0 ? GoFloatFormat.fixed(100 * s.center / (maxima[u] ?? 1), 1) : "0"
                values.append(["value": MetricFormat.format(s.center, unit: u), "range": s.rangeText, "cls": isThroughput ? "bar" : "", "bar": bar, "present": true])
            }
            rows.append(["label": c.label, "fastest": c.name == fastest, "rowClass": c.name == fastest ? "fastest" : "", "values": values])
        }
        let unitHeads: [[String: Any]] = units.map { u in
            ["name": u, "direction": MetricDirection(unit: u) == .higherIsBetter ? "higher is better" : "lower is better"]
        }
        return ["units": unitHeads, "rows": rows, "infiniteCI": infinite]
    }

    static func findings(_ regressions: [GateFinding], _ improvements: [GateFinding], report: RunReport) -> [String: Any] {
        func row(_ f: GateFinding) -> [String: Any] {
            ["cell": report.cellLabel(row: f.row), "metric": f.unit,
             "change": f.change.map { $0.isFinite ? GoFloatFormat.signedFixed($0 * 100, 2) + "%" : "from 0" } ?? "?",
             "threshold": GoFloatFormat.shortest((f.threshold ?? 0) * 100) + "% (\(f.thresholdSource?.rawValue ?? "none"))",
             "p": f.metric.metricClass == .exact ? "exact" : GoFloatFormat.fixed(f.p, 3),
             "range": "", "hasRange": false]
        }
        return ["regressions": regressions.map(row), "hasRegressions": !regressions.isEmpty,
                "improvements": improvements.map(row), "hasImprovements": !improvements.isEmpty, "hasRange": false]
    }

    static func comparison(_ c: RunComparison, label cellLabel: (String) -> String) -> [String: Any] {
        var keyTables: [[String: Any]] = []
        var otherTables: [[String: Any]] = []
        for (ti, table) in c.tables.tables.enumerated() {
            let cls = BenchUnit.classOf(table.unit)
            var rows: [[String: Any]] = []
            for (r, label) in table.rows.enumerated() {
                let cells = table.cells[r]
                let scaler = ValueScaler.common(cells.compactMap { $0?.summary.center }, cls)
                let old = cells.first.flatMap { $0 }
                let new = cells.count > 1 ? cells[1] : nil
                let finding = c.finding(table: ti, row: label)
                let verdict = finding.map(Self.verdictText) ?? "not compared"
                rows.append([
                    "label": cellLabel(label),
                    "old": old.map { "\(scaler.format($0.summary.center)) ± \($0.summary.rangeText)" } ?? "—",
                    "new": new.map { "\(scaler.format($0.summary.center)) ± \($0.summary.rangeText)" } ?? "—",
                    "delta": new?.comparison?.deltaText ?? "", "stat": new?.comparison?.statText ?? "",
                    "raw": new?.comparison?.relativeChange.map { "(" + GoFloatFormat.signedFixed($0 * 100, 1) + "% median)" } ?? "",
                    "verdict": verdict,
                    "verdictClass": finding?.isRegression == true ? "regression" : (finding?.isImprovement == true ? "improvement" : ""),
                ])
            }
            var geomean: Any = false
            if table.rows.count > 1, table.geomean.count > 1 {
                geomean = ["old": table.geomean[0].geomean.map { ValueScaler.scale($0, cls) } ?? "",
                           "new": table.geomean[1].geomean.map { ValueScaler.scale($0, cls) } ?? "",
                           "delta": table.geomean[1].ratio.map { GoFloatFormat.signedFixed(($0 - 1) * 100, 2) + "%" } ?? "?"]
            }
            let gated = c.findings.filter { $0.table == ti && $0.isGated }
            let key = !gated.isEmpty
            let limits = Set(gated.compactMap(\.threshold)).sorted()
            let threshold = limits.isEmpty ? "none (informational)"
                : limits.map { GoFloatFormat.shortest(($0 * 1000).rounded() / 10) + "%" }.joined(separator: " / ")
            let entry: [String: Any] = ["unit": table.unit, "direction": MetricDirection(unit: table.unit) == .higherIsBetter ? "higher is better" : "lower is better",
                                        "threshold": threshold, "rows": rows, "geomean": geomean]
            if key { keyTables.append(entry) } else { otherTables.append(entry) }
        }
        return ["tables": keyTables, "otherTables": otherTables, "hasOtherTables": !otherTables.isEmpty, "otherCount": otherTables.count,
                "warnings": c.warnings, "baselineLabel": c.baselineLabel, "runLabel": c.runLabel]
    }

    static func failed(_ cells: [CellDigest]) -> [String: Any] {
        let rows: [[String: Any]] = cells.map { c in
            ["label": c.label, "status": c.status.rawValue, "reason": c.reason ?? "no reason recorded",
             "stderr": c.targetStderr, "hasStderr": !c.targetStderr.isEmpty]
        }
        return ["failed": rows, "hasFailed": !rows.isEmpty]
    }

    static func charts(_ specs: [ChartSpec], svg: [String: String], note: String?) -> [String: Any] {
        let groups: [(String, String, String)] = [
            ("throughput-", "Throughput", "wide"), ("before-after-", "Baseline against this run", ""),
            ("syscalls-", "System calls", "wide"), ("per-cell-", "Allocations", "wide"),
            ("latency-", "Latency by percentile, per cell", ""), ("trend-", "Median per run, one panel per cell", "wide"),
        ]
        var out: [[String: Any]] = []
        for (prefix, heading, layout) in groups {
            let charts: [[String: Any]] = specs.filter { $0.id.hasPrefix(prefix) }.compactMap { spec in
                guard let s = svg[spec.id] else { return nil }
                return ["id": spec.id, "svg": s, "caption": spec.caption]
            }
            if !charts.isEmpty { out.append(["heading": heading, "layout": layout, "charts": charts]) }
        }
        var context: [String: Any] = ["chartGroups": out]
        if let note { context["chartsNote"] = note } else if specs.isEmpty { context["chartsNote"] = "No charts: nothing in this run to plot." } else { context["chartsNote"] = false }
        return context
    }

    /// What the gate made of one compared figure, for a reader.
    static func verdictText(_ f: GateFinding) -> String {
        switch f.role {
        case .notComparable(let why): return "not comparable: \(why)"
        case .derived(let source): return "derived from \(source) (judged there)"
        case .informational: return f.significant ? "changed (informational, no threshold)" : "no significant change (informational)"
        case .gated:
            switch f.verdict {
            case .regression: return "regression"
            case .improvement: return "improvement"
            case .withinThreshold: return "within threshold"
            case .unchanged: return "no significant change"
            }
        }
    }
}
