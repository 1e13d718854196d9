import Foundation
import SurgeCompare
import SurgeResults
import SurgeStats

/// GitHub-flavoured markdown of a run report: the full page (`report.md`, charts as PNG links) and a
/// short form for a CI job summary (`$GITHUB_STEP_SUMMARY`): headline, verdict, regressions, key
/// metrics per workload kind, failed cells. Header first: host, load, commit, probes, noise warnings.
public enum MarkdownReportRenderer {
    /// `chartLinks`: chart id → path relative to the markdown file; `chartsNote`: why charts are missing.
    public static func render(_ report: RunReport, chartLinks: [String: String], chartsNote: String?) -> String {
        var out = "# Surge report: \(inline(report.run.scenario.name))\n\n"
        out += header(report)
        for line in report.headline { out += "- \(inline(line))\n" }
        if let c = report.comparison { out += "- **\(inline(c.verdict))**\n" }
        out += "\n## Cells by workload kind — median ± 95% CI\n\n"
        out += cellTables(report, folded: true)
        if let comparison = report.comparison {
            out += "\n## Compared with the baseline\n\n"
            out += regressionList(report, comparison)
            for w in comparison.warnings { out += "> ⚠️ \(inline(w))\n\n" }
            out += comparisonTables(comparison, report: report)
        }
        out += failedCells(report)
        out += "\n## Charts\n\n"
        if let chartsNote { out += "> \(inline(chartsNote))\n\n" }
        for chart in report.charts {
            guard let link = chartLinks[chart.id] else { continue }
            out += "**\(inline(chart.title))**  \n![\(inline(chart.title))](\(link))  \n*\(inline(chart.caption))*\n\n"
        }
        if chartLinks.isEmpty && chartsNote == nil { out += "No charts for this run.\n" }
        let profiles = ProfileLinks.markdown(report)
        if !profiles.isEmpty { out += "\n## Flame graphs (profile pass)\n\n" + profiles }
        out += "\n## Run details\n\n| | |\n|---|---|\n"
        for (k, v) in report.metadata { out += "| \(k) | \(cell(v)) |\n" }
        return out
    }

    /// The short form for a CI job summary.
    public static func summary(_ report: RunReport) -> String {
        var out = "## Surge: \(inline(report.run.scenario.name))\n\n"
        for line in report.headline { out += "- \(inline(line))\n" }
        for w in report.header.warnings { out += "\n> ⚠️ \(inline(w))\n" }
        if let c = report.comparison {
            out += "\n**\(inline(c.verdict))**\n\n"
            out += regressionList(report, c)
            for w in c.warnings { out += "> ⚠️ \(inline(w))\n\n" }
        }
        out += "\n" + cellTables(report, folded: false)
        out += failedCells(report)
        out += "\n<sub>run \(inline(report.run.runID)), commit \(inline(report.run.source?.commit ?? "unknown")), "
            + "host \(inline(report.run.host.fingerprint))</sub>\n"
        return out
    }

    /// The header: what was measured where, the noise warnings, the run's notes.
    static func header(_ report: RunReport) -> String {
        let header = report.header
        var out = "| | |\n|---|---|\n"
        for f in header.facts { out += "| \(f.label) | \(cell(f.value)) |\n" }
        out += "\n"
        for w in header.warnings { out += "> ⚠️ **\(inline(w))**\n\n" }
        if !report.run.notes.isEmpty {
            out += "**Notes from the run**\n\n" + report.run.notes.map { "- \(inline($0))\n" }.joined() + "\n"
        }
        return out
    }

    /// One key-metrics table per workload kind; with `folded`, the other metrics under each in a
    /// `<details>` block (metrics as rows, cells as columns).
    static func cellTables(_ report: RunReport, folded: Bool) -> String {
        let groups = report.cellTables.groups
        guard !groups.isEmpty else { return "No cell finished with measurements.\n" }
        let fastest = report.fastestCell?.cell.name
        var without: Set<Int> = []
        func figure(_ s: Summary?, _ scale: ColumnScale) -> String {
            guard let s else { return "" }
            guard let interval = scale.interval(s) else {
                without.insert(s.n)
                return scale.number(s.center)
            }
            return interval.isEmpty ? scale.number(s.center) : "\(scale.number(s.center)) \(interval)"
        }
        func head(_ u: String) -> String {
            let unit = report.scale(u).headUnit
            return cell(u) + (unit.isEmpty ? "" : " (\(unit))")
        }
        var out = ""
        for group in groups {
            out += "### \(inline(group.title)) (\(group.cells.count) cell\(group.cells.count == 1 ? "" : "s"))\n\n"
            out += "| cell |" + group.keyUnits.map { " \(head($0)) |" }.joined() + "\n|---|"
                + group.keyUnits.map { _ in "---:|" }.joined() + "\n"
            for (c, label) in zip(group.cells, group.labels) {
                var line = "| " + (c.name == fastest ? "**\(cell(label))** (fastest)" : cell(label)) + " |"
                for u in group.keyUnits { line += " \(figure(c.summaries[u], report.scale(u))) |" }
                out += line + "\n"
            }
            if let caption = group.caption { out += "\n*\(caption)*\n" }
            if folded && !group.otherUnits.isEmpty {
                out += "\n<details><summary>\(CellTables.moreText(group.otherUnits.count))</summary>\n\n"
                out += "| metric |" + group.labels.map { " \(cell($0)) |" }.joined() + "\n|---|"
                    + group.cells.map { _ in "---:|" }.joined() + "\n"
                for u in group.otherUnits {
                    let scale = report.scale(u)
                    out += "| \(head(u)) |" + group.cells.map { " \(figure($0.summaries[u], scale)) |" }.joined() + "\n"
                }
                out += "\n</details>\n"
            }
            out += "\n"
        }
        if !without.isEmpty { out += HTMLReportRenderer.intervalFootnote(without) + "\n" }
        return out
    }

    static func regressionList(_ report: RunReport, _ c: RunComparison) -> String {
        var out = ""
        if !c.regressions.isEmpty {
            out += "**Regressions** (significant and beyond the metric's threshold):\n\n"
            for f in c.regressions { out += "- 🔴 \(inline(report.findingText(f)))\n" }
            out += "\n"
        }
        if !c.improvements.isEmpty {
            out += "**Improvements**:\n\n"
            for f in c.improvements { out += "- 🟢 \(inline(report.findingText(f)))\n" }
            out += "\n"
        }
        return out
    }

    /// The comparison tables in Surge's metric names and the page's number formats (`ComparisonView`);
    /// `surge compare --format markdown` and the benchfmt files keep benchstat's units (`sec/op`).
    static func comparisonTables(_ c: RunComparison, report: RunReport) -> String {
        let view = ComparisonView(c, report: report)
        var out = ""
        func table(_ t: ComparisonView.Table) {
            out += "#### \(cell(t.metric))\(t.headUnit.isEmpty ? "" : ", in \(t.headUnit)") "
                + "(\(t.direction); threshold \(t.threshold))\n\n"
            out += "| cell | \(cell(c.baselineLabel)) | \(cell(c.runLabel)) | vs base | p | verdict |\n"
                + "|---|---:|---:|---:|---|---|\n"
            for r in t.rows {
                let delta = r.verdictClass == "regression"
                    ? "🔴 **\(r.delta)**" : (r.verdictClass == "improvement" ? "🟢 \(r.delta)" : r.delta)
                out += "| \(cell(r.label)) | \(r.old) | \(r.new) | \(delta) | \(cell(r.stat)) | \(cell(r.verdict)) |\n"
            }
            if let g = t.geomean { out += "| *geomean* | \(g.old) | \(g.new) | \(g.delta) | | |\n" }
            out += "\n"
        }
        for t in view.tables where t.isKey { table(t) }
        let others = view.tables.filter { !$0.isKey }
        if !others.isEmpty {
            out += "<details><summary>\(others.count) more metrics (no threshold set)</summary>\n\n"
            for t in others { table(t) }
            out += "</details>\n\n"
        }
        if view.someWithoutInterval {
            out += "Figures without ± have too few repetitions for a 95% confidence interval of the median.\n"
        }
        return out
    }

    static func failedCells(_ report: RunReport) -> String {
        let failed = report.failedCells
        guard !failed.isEmpty else { return "" }
        var out = "\n## Cells that did not finish\n\n| cell | status | why |\n|---|---|---|\n"
        for c in failed { out += "| \(cell(c.label)) | \(c.status.rawValue) | \(cell(c.reason ?? "no reason recorded")) |\n" }
        for c in failed where !c.targetStderr.isEmpty {
            out += "\n<details><summary>target's last standard-error lines: \(inline(c.label))</summary>\n\n```\n"
            out += c.targetStderr.map { $0.replacingOccurrences(of: "```", with: "'''") }.joined(separator: "\n") + "\n```\n</details>\n"
        }
        return out
    }

    /// Text from a scenario or result, safe inline: markdown and HTML specials escaped.
    public static func inline(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\\", "`", "*", "_", "[", "]", "|": out += "\\\(ch)"
            case "\n", "\r": out += " "
            default: out.append(ch)
            }
        }
        return out
    }

    static func cell(_ text: String) -> String { inline(text) }
}
