import Foundation
import SurgeCompare
import SurgeResults
import SurgeStats

/// GitHub-flavoured markdown of a run report: the full page (`report.md`, charts as PNG links) and a
/// short form for a CI job summary (`$GITHUB_STEP_SUMMARY`): headline, verdict, regressions, key
/// metrics per cell, failed cells. The comparison tables are `surge compare`'s own markdown.
public enum MarkdownReportRenderer {
    /// `chartLinks`: chart id → path relative to the markdown file; `chartsNote`: why charts are missing.
    public static func render(_ report: RunReport, chartLinks: [String: String], chartsNote: String?) -> String {
        var out = "# Surge report: \(inline(report.run.scenario.name))\n\n"
        for line in report.headline { out += "- \(inline(line))\n" }
        if let c = report.comparison { out += "- **\(inline(c.verdict))**\n" }
        out += "\n## Run\n\n| | |\n|---|---|\n"
        for (k, v) in report.metadata { out += "| \(k) | \(cell(v)) |\n" }
        if !report.run.notes.isEmpty {
            out += "\n**Notes from the run**\n\n" + report.run.notes.map { "- \(inline($0))\n" }.joined()
        }
        out += "\n## Cells — median ± 95% CI\n\n"
        out += cellTable(report, units: report.tableUnits)
        if let comparison = report.comparison {
            out += "\n## Compared with the baseline\n\n"
            out += regressionList(report, comparison)
            for w in comparison.warnings { out += "> ⚠️ \(inline(w))\n\n" }
            out += comparisonTables(comparison)
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
        return out
    }

    /// The short form for a CI job summary.
    public static func summary(_ report: RunReport) -> String {
        var out = "## Surge: \(inline(report.run.scenario.name))\n\n"
        for line in report.headline { out += "- \(inline(line))\n" }
        if let c = report.comparison {
            out += "\n**\(inline(c.verdict))**\n\n"
            out += regressionList(report, c)
            for w in c.warnings { out += "> ⚠️ \(inline(w))\n\n" }
        }
        let key = report.tableUnits.filter { MetricFormat.throughputUnits.contains($0) || $0 == "p99-ns" || $0 == "p50-ns" }
        out += "\n" + cellTable(report, units: key.isEmpty ? Array(report.tableUnits.prefix(3)) : key)
        out += failedCells(report)
        out += "\n<sub>run \(inline(report.run.runID)), commit \(inline(report.run.source?.commit ?? "unknown")), host \(inline(report.run.host.fingerprint))</sub>\n"
        return out
    }

    static func cellTable(_ report: RunReport, units: [String]) -> String {
        let cells = report.digest.okCells
        guard !cells.isEmpty, !units.isEmpty else { return "No cell finished with measurements.\n" }
        let fastest = report.fastestCell?.cell.name
        var out = "| cell |" + units.map { " \(cell($0)) |" }.joined() + "\n|---|" + units.map { _ in "---:|" }.joined() + "\n"
        for c in cells {
            var line = "| " + (c.name == fastest ? "**\(cell(c.label))** (fastest)" : cell(c.label)) + " |"
            for u in units {
                guard let s = c.summaries[u] else { line += " |"; continue }
                line += " \(MetricFormat.format(s.center, unit: u)) ± \(s.rangeText) |"
            }
            out += line + "\n"
        }
        if cells.contains(where: { $0.summaries.values.contains { $0.lo.isInfinite } }) {
            out += "\n± ∞: fewer than 6 repetitions, too few for a 95% confidence interval of the median.\n"
        }
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

    /// `surge compare`'s markdown, headings moved two levels down and HTML-special characters escaped.
    static func comparisonTables(_ c: RunComparison) -> String {
        let text = MarkdownRenderer.render(c.tables, findings: c.findings, verdict: c.verdict)
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## surge compare") { continue }
            var l = String(line).replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            if l.hasPrefix("#") { l = "#" + l }
            lines.append(l)
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .newlines) + "\n"
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
