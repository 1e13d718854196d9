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
            ("failed", HTMLTemplates.failed), ("runHeader", HTMLTemplates.runHeader), ("body", HTMLTemplates.runBody),
            ("weeklyBody", WeeklyTemplates.body),
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
            context["comparison"] = comparison(c, report: report)
            context["regressionsSection"] = findings(c.regressions, c.improvements, report: report)
        } else {
            context["verdict"] = false
            context["comparison"] = false
            context["regressionsSection"] = false
        }
        return page(context, body: "body")
    }

    /// The header (facts and warnings) and one key-metrics table per workload kind, the other
    /// metrics folded under each.
    static func cellTable(_ report: RunReport) -> [String: Any] {
        let header = report.header
        let fastest = report.fastestCell?.cell.name
        var without: Set<Int> = []
        func figure(_ s: Summary?, _ scale: ColumnScale) -> [String: Any] {
            guard let s else { return ["value": "", "ci": ""] }
            let interval = scale.interval(s)
            if interval == nil { without.insert(s.n) }
            return ["value": scale.number(s.center), "ci": interval ?? ""]
        }
        var groups: [[String: Any]] = []
        for group in report.cellTables.groups {
            let maxima = Dictionary(uniqueKeysWithValues: group.keyUnits.map { u in
                (u, group.cells.compactMap { $0.summaries[u]?.center }.max() ?? 0)
            })
            let rows: [[String: Any]] = zip(group.cells, group.labels).map { c, label in
                let values: [[String: Any]] = group.keyUnits.map { u in
                    let scale = report.scale(u)
                    var v = figure(c.summaries[u], scale)
                    let isThroughput = report.digest.primaryThroughputUnits.contains(u)
                    let top = maxima[u] ?? 0
                    v["cls"] = isThroughput ? "bar" : ""
                    let share = 100 * (c.summaries[u]?.center ?? 0) / top
                    v["bar"] = isThroughput && top > 0 ? GoFloatFormat.fixed(share, 1) : "0"
                    return v
                }
                return ["label": label, "fastest": c.name == fastest, "rowClass": c.name == fastest ? "fastest" : "",
                        "values": values]
            }
            let heads: [[String: Any]] = group.keyUnits.map { u in
                ["name": u, "unit": Self.falseIfEmpty(report.scale(u).headUnit),
                 "direction": MetricDirection(unit: u) == .higherIsBetter ? "higher is better" : "lower is better"]
            }
            let otherRows: [[String: Any]] = group.otherUnits.map { u in
                let scale = report.scale(u)
                return ["name": u, "unit": Self.falseIfEmpty(scale.headUnit),
                        "values": group.cells.map { figure($0.summaries[u], scale) }]
            }
            groups.append([
                "kind": group.title, "count": "\(group.cells.count) cell\(group.cells.count == 1 ? "" : "s")",
                "caption": Self.falseIfEmpty(group.caption?.replacingOccurrences(of: "`", with: "\"") ?? ""),
                "heads": heads, "rows": rows,
                "hasOthers": !otherRows.isEmpty, "othersText": CellTables.moreText(otherRows.count), "cellLabels": group.labels,
                "otherRows": otherRows,
            ])
        }
        let footnote: Any = without.isEmpty ? false : Self.intervalFootnote(without)
        return ["hasHeader": true, "facts": header.facts.map { ["label": $0.label, "value": $0.value] },
                "warnings": header.warnings, "hasWarnings": !header.warnings.isEmpty,
                "groups": groups, "noCells": groups.isEmpty, "intervalFootnote": footnote]
    }

    /// The one footnote for figures without an interval (`n`: their repetition counts).
    static func intervalFootnote(_ n: Set<Int>) -> String {
        "Figures without an interval: n=\(n.sorted().map(String.init).joined(separator: ", ")) repetition"
            + "\(n == [1] ? "" : "s"), too few for a 95% confidence interval of the median (6 are needed)."
    }

    /// Mustache treats only `false` and empty lists as absent: an empty text becomes `false`.
    static func falseIfEmpty(_ text: String) -> Any { text.isEmpty ? false : text }

    static func findings(_ regressions: [GateFinding], _ improvements: [GateFinding], report: RunReport) -> [String: Any] {
        func row(_ f: GateFinding) -> [String: Any] {
            ["cell": report.cellLabel(row: f.row), "metric": Metric.canonicalName(f.unit),
             "change": f.change.map { $0.isFinite ? GoFloatFormat.signedFixed($0 * 100, 2) + "%" : "from 0" } ?? "?",
             "threshold": GoFloatFormat.shortest((f.threshold ?? 0) * 100) + "% (\(f.thresholdSource?.rawValue ?? "none"))",
             "p": f.metric.metricClass == .exact ? "exact" : GoFloatFormat.fixed(f.p, 3),
             "range": "", "hasRange": false]
        }
        return ["regressions": regressions.map(row), "hasRegressions": !regressions.isEmpty,
                "improvements": improvements.map(row), "hasImprovements": !improvements.isEmpty, "hasRange": false]
    }

    static func comparison(_ c: RunComparison, report: RunReport) -> [String: Any] {
        let view = ComparisonView(c, report: report)
        func entry(_ t: ComparisonView.Table) -> [String: Any] {
            let rows: [[String: Any]] = t.rows.map { r in
                ["label": r.label, "old": r.old, "new": r.new, "delta": r.delta, "stat": r.stat, "raw": r.raw,
                 "verdict": r.verdict, "verdictClass": r.verdictClass]
            }
            let geomean: Any = t.geomean.map { g -> Any in ["old": g.old, "new": g.new, "delta": g.delta] } ?? false
            return ["unit": t.metric, "headUnit": Self.falseIfEmpty(t.headUnit), "direction": t.direction,
                    "threshold": t.threshold, "rows": rows, "geomean": geomean]
        }
        let key = view.tables.filter(\.isKey).map(entry)
        let other = view.tables.filter { !$0.isKey }.map(entry)
        return ["tables": key, "otherTables": other, "hasOtherTables": !other.isEmpty, "otherCount": other.count,
                "warnings": c.warnings, "baselineLabel": c.baselineLabel, "runLabel": c.runLabel,
                "comparisonFootnote": Self.falseIfEmpty(view.someWithoutInterval
                    ? "Figures without ± have too few repetitions for a 95% confidence interval of the median." : "")]
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
