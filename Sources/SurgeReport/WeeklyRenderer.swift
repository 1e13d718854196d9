import SurgeCompare
import Foundation
import SurgeResults
import SurgeStats

/// HTML and markdown of the weekly report.
public enum WeeklyRenderer {
    static func changeText(_ f: TrendFinding) -> String {
        let s = f.change.relativeShift
        return s.isFinite ? GoFloatFormat.signedFixed(s * 100, 2) + "%" : "from 0"
    }

    static func levelText(_ f: TrendFinding) -> String {
        "\(MetricFormat.format(f.change.before, unit: f.unit)) → \(MetricFormat.format(f.change.after, unit: f.unit))"
    }

    public static func headline(_ report: WeeklyReport) -> [String] {
        let iso = ISO8601DateFormatter()
        let runs = report.series.reduce(0) { $0 + $1.runs.count }
        var lines = ["\(report.series.count) scenario series, \(runs) runs in the history window; week ending \(iso.string(from: report.now))."]
        lines.append("\(report.regressions.count) regressions and \(report.improvements.count) improvements found as level shifts beyond threshold.")
        if !report.failedRuns.isEmpty { lines.append("\(report.failedRuns.count) runs this week had failed cells or did not complete.") }
        return lines
    }

    public static func html(_ report: WeeklyReport, svg: [String: String], chartsNote: String?) -> String {
        func finding(_ f: TrendFinding) -> [String: Any] {
            ["cell": "\(f.scenario): \(f.cellLabel)", "metric": f.unit, "change": "\(changeText(f)) (\(levelText(f)))",
             "threshold": GoFloatFormat.shortest(f.threshold * 100) + "%", "p": GoFloatFormat.fixed(f.change.p, 3),
             "range": "\(f.commitRange) (runs \(f.lastBefore.runID) → \(f.firstAfter.runID))", "hasRange": true]
        }
        var context: [String: Any] = [
            "title": "Surge weekly report",
            "subtitle": "Week ending \(ISO8601DateFormatter().string(from: report.now))",
            "headline": headline(report), "hasHeadline": true,
            "verdict": report.regressions.isEmpty ? "No regression found in the history window." : "\(report.regressions.count) regression\(report.regressions.count == 1 ? "" : "s") found.",
            "verdictClass": report.regressions.isEmpty ? "ok" : "bad",
            "regressionsSection": ["regressions": report.regressions.map(finding), "hasRegressions": !report.regressions.isEmpty,
                                   "improvements": report.improvements.map(finding), "hasImprovements": !report.improvements.isEmpty, "hasRange": true],
            "footer": "Level shifts: binary segmentation with Pettitt's rank test (permutation p ≤ 0.05, at least 3 runs on each side), kept when larger than the scenario's threshold (5% without one). Week over week: Mann-Whitney U on every repetition of the runs of each week, as surge compare does.",
        ]
        context.merge(HTMLReportRenderer.charts(report.charts, svg: svg, note: chartsNote)) { $1 }
        var seriesContext: [[String: Any]] = []
        for s in report.series {
            var item: [String: Any] = ["scenario": s.scenario, "fingerprint": s.fingerprint, "runs": s.runs.count,
                                       "thisWeek": s.thisWeekRuns, "previousWeek": s.previousWeekRuns,
                                       "keyUnits": s.keyUnits.joined(separator: ", ")]
            if let c = s.weekOverWeek {
                item["weekOverWeek"] = ["verdict": c.verdict, "comparison": weekComparison(c, series: s)]
            } else {
                item["weekOverWeek"] = false
                item["noComparison"] = "No week-over-week comparison: \(s.previousWeekRuns == 0 ? "no run in the previous week" : "no run this week")."
            }
            seriesContext.append(item)
        }
        context["series"] = seriesContext
        context["failedRuns"] = report.failedRuns.map(failedRun)
        context["hasFailedRuns"] = !report.failedRuns.isEmpty
        return HTMLReportRenderer.page(context, body: "weeklyBody")
    }

    static func weekComparison(_ c: RunComparison, series: WeeklySeries) -> [String: Any] {
        let labels = Dictionary(series.cells.map { ($0.name, $0.label) }, uniquingKeysWith: { a, _ in a })
        var context = HTMLReportRenderer.comparison(c, label: { labels[$0] ?? $0 })
        context["verdict"] = c.verdict
        return context
    }

    static func failedRun(_ r: RunResult) -> [String: Any] {
        let failed = r.cells.filter { $0.status != .ok }
        return ["run": r.runID, "scenario": r.scenario.name, "started": ISO8601DateFormatter().string(from: r.startedAt),
                "commit": r.source?.commit ?? "unknown", "status": r.status.rawValue,
                "cells": failed.map { ["label": CellDigest(cell: $0).label, "status": $0.status.rawValue, "reason": $0.reason ?? "no reason recorded"] }]
    }

    public static func markdown(_ report: WeeklyReport, chartLinks: [String: String], chartsNote: String?) -> String {
        let md = MarkdownReportRenderer.inline
        var out = "# Surge weekly report\n\n"
        for line in headline(report) { out += "- \(md(line))\n" }
        out += findingsMarkdown(report)
        for s in report.series {
            out += "\n## \(md(s.scenario))\n\nHost: \(md(s.fingerprint)); \(s.runs.count) runs in the window, \(s.thisWeekRuns) this week, \(s.previousWeekRuns) the week before. Key metrics: \(md(s.keyUnits.joined(separator: ", "))).\n\n"
            if let c = s.weekOverWeek {
                out += "### This week against the previous week\n\n" + MarkdownReportRenderer.comparisonTables(c) + "\n"
            }
            for chart in report.charts where chart.id.hasPrefix("trend-\(report.series.firstIndex { $0.scenario == s.scenario && $0.fingerprint == s.fingerprint } ?? -1)-") {
                if let link = chartLinks[chart.id] { out += "![\(md(chart.title))](\(link))  \n*\(md(chart.caption))*\n\n" }
            }
        }
        if let chartsNote { out += "\n> \(md(chartsNote))\n" }
        out += failedRunsMarkdown(report)
        out += "\n<sub>Level shifts: binary segmentation with Pettitt's rank test (permutation p ≤ 0.05, ≥ 3 runs each side), kept when beyond the scenario's threshold (5% without one).</sub>\n"
        return out
    }

    public static func summary(_ report: WeeklyReport) -> String {
        var out = "## Surge weekly report\n\n"
        for line in headline(report) { out += "- \(MarkdownReportRenderer.inline(line))\n" }
        out += findingsMarkdown(report) + failedRunsMarkdown(report)
        return out
    }

    static func findingsMarkdown(_ report: WeeklyReport) -> String {
        let md = MarkdownReportRenderer.inline
        var out = ""
        for (title, list, mark) in [("Regressions", report.regressions, "🔴"), ("Improvements", report.improvements, "🟢")] where !list.isEmpty {
            out += "\n### \(title)\n\n| | scenario | cell | metric | change | threshold | p | appeared in |\n|---|---|---|---|---:|---:|---:|---|\n"
            for f in list {
                out += "| \(mark) | \(md(f.scenario)) | \(md(f.cellLabel)) | \(md(f.unit)) | \(md(changeText(f))) (\(md(levelText(f)))) | \(GoFloatFormat.shortest(f.threshold * 100))% | \(GoFloatFormat.fixed(f.change.p, 3)) | `\(f.commitRange.replacingOccurrences(of: "`", with: ""))` |\n"
            }
        }
        return out
    }

    static func failedRunsMarkdown(_ report: WeeklyReport) -> String {
        let md = MarkdownReportRenderer.inline
        guard !report.failedRuns.isEmpty else { return "" }
        var out = "\n### Runs with failures this week\n\n| run | scenario | commit | cell | status | why |\n|---|---|---|---|---|---|\n"
        for r in report.failedRuns {
            let failed = r.cells.filter { $0.status != .ok }
            if failed.isEmpty { out += "| \(md(r.runID)) | \(md(r.scenario.name)) | \(md(r.source?.commit ?? "unknown")) | | \(r.status.rawValue) | run did not complete |\n" }
            for c in failed {
                out += "| \(md(r.runID)) | \(md(r.scenario.name)) | \(md(r.source?.commit ?? "unknown")) | \(md(CellDigest(cell: c).label)) | \(c.status.rawValue) | \(md(c.reason ?? "")) |\n"
            }
        }
        return out
    }
}

/// The body of the weekly HTML page.
enum WeeklyTemplates {
    static let body = """
        {{#series}}<h2>{{scenario}}</h2>
        <div class="sub">Host {{fingerprint}} · {{runs}} runs in the window, {{thisWeek}} this week, {{previousWeek}} the week before · key metrics: {{keyUnits}}</div>
        {{#weekOverWeek}}<h3>This week against the previous week</h3><div class="ci">{{verdict}}</div>{{#comparison}}{{> comparison}}{{/comparison}}{{/weekOverWeek}}
        {{^weekOverWeek}}<div class="note">{{noComparison}}</div>{{/weekOverWeek}}
        {{/series}}
        <h2 id="charts">Trends</h2>
        {{> charts}}
        {{#hasFailedRuns}}<h2 id="failed">Runs with failures this week</h2>
        <table class="failed"><tr><th class="name">run</th><th class="name">scenario</th><th class="name">started</th><th class="name">commit</th><th class="name">cell</th><th class="name">status</th><th class="name">why</th></tr>
        {{#failedRuns}}{{#cells}}<tr><td class="name">{{run}}</td><td class="name">{{scenario}}</td><td class="name">{{started}}</td><td class="name">{{commit}}</td><td class="name">{{label}}</td><td class="name">{{status}}</td><td class="name">{{reason}}</td></tr>{{/cells}}{{/failedRuns}}</table>{{/hasFailedRuns}}
        """
}
