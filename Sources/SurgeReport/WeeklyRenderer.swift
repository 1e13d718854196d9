import Foundation
import SurgeCompare
import SurgeResults
import SurgeStats

/// HTML and markdown of the weekly report.
public enum WeeklyRenderer {
    /// `1 run`, `2 runs`.
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func percent(_ x: Double) -> String { x.isFinite ? GoFloatFormat.signedFixed(x * 100, 2) + "%" : "from 0" }

    static func ratio(_ x: Double) -> String { "×" + GoFloatFormat.fixed(x + 1, 2) }

    /// `step −5.21% [−6.60%, −3.95%]`, `drift −11.3% over 59 days [...], −1.36%/week [...]`, `spread ×3.85 [...]`.
    public static func changeText(_ f: TrendFinding) -> String {
        let s = f.change.shift
        switch f.kind {
        case .step:
            return "step \(percent(s.estimate)) [\(percent(s.lower)), \(percent(s.upper))]"
        case .drift:
            let days = f.firstSurelyAfter.startedAt.timeIntervalSince(f.firstAtNewLevel.startedAt) / 86400
            var text = "drift \(percent(s.estimate)) over \(GoFloatFormat.fixed(days, 0)) days [\(percent(s.lower)), \(percent(s.upper))]"
            if let w = f.change.perWeek { text += ", \(percent(w.estimate))/week [\(percent(w.lower)), \(percent(w.upper))]" }
            return text
        case .spread:
            return "spread \(ratio(s.estimate)) [\(ratio(s.lower)), \(ratio(s.upper))]"
        }
    }

    static func levelText(_ f: TrendFinding, _ numbers: WeeklyNumbers) -> String {
        let levels = "\(numbers.text(f.change.before, unit: f.unit)) → \(numbers.text(f.change.after, unit: f.unit))"
        let underPoint = f.kind != .spread && abs(f.change.shift.estimate) < f.threshold
        return underPoint ? "\(levels); the interval reaches the threshold" : levels
    }

    static func thresholdText(_ f: TrendFinding) -> String {
        f.kind == .spread ? ratio(f.threshold) : GoFloatFormat.shortest(f.threshold * 100) + "%"
    }

    static func rangeText(_ f: TrendFinding) -> String {
        f.kind == .drift ? "over the window: \(f.commitRange)"
            : "\(f.commitRange) (runs \(f.runRange); first at the new level: \(f.firstAtNewLevel.runID))"
    }

    public static func headline(_ report: WeeklyReport) -> [String] {
        let iso = ISO8601DateFormatter()
        let runs = report.series.reduce(0) { $0 + $1.runs.count }
        var lines = ["\(report.series.count) scenario series, \(count(runs, "run")) in the history window; week ending \(iso.string(from: report.now))."]
        lines.append("\(count(report.regressions.count, "regression")) and \(count(report.improvements.count, "improvement")) found as steps or drifts beyond threshold; \(count(report.spreadChanges.count, "spread change")).")
        let weekly = report.series.compactMap(\.weekOverWeek)
        let worse = weekly.reduce(0) { $0 + $1.regressions.count }, better = weekly.reduce(0) { $0 + $1.improvements.count }
        if !weekly.isEmpty {
            lines.append("This week against the previous one (per-run medians): \(count(worse, "cell metric")) worse, \(better) better.")
        }
        if !report.failedRuns.isEmpty { lines.append("\(count(report.failedRuns.count, "run")) this week had failed cells or did not complete.") }
        return lines
    }

    /// The line `surge report weekly` prints: `60 runs; 1 regression, 0 improvements, …`.
    public static func countLine(_ report: WeeklyReport) -> String {
        let runs = report.series.reduce(0) { $0 + $1.runs.count }
        return "\(count(runs, "run")); \(count(report.regressions.count, "regression")), "
            + "\(count(report.improvements.count, "improvement")), \(count(report.spreadChanges.count, "spread change")), "
            + "\(count(report.failedRuns.count, "run")) with failed cells"
    }

    static func footer(_ report: WeeklyReport) -> String {
        "Changes: \(report.detector.methodDescription). Week over week: two-sided Mann-Whitney U on the per-run medians "
            + "of each week (n = runs; outlier runs left out), a change when p ≤ \(GoFloatFormat.shortest(WeekOverWeek.alpha)) and beyond the threshold."
    }

    public static func html(_ report: WeeklyReport, svg: [String: String], chartsNote: String?) -> String {
        let numbers = WeeklyNumbers(report)
        func finding(_ f: TrendFinding) -> [String: Any] {
            ["cell": "\(f.scenario): \(f.cellLabel)", "metric": f.unit,
             "change": "\(changeText(f)) (\(levelText(f, numbers)))",
             "threshold": thresholdText(f), "p": GoFloatFormat.fixed(f.change.p, 4), "range": rangeText(f), "hasRange": true]
        }
        var context: [String: Any] = [
            "title": "Surge weekly report",
            "subtitle": "Week ending \(ISO8601DateFormatter().string(from: report.now))",
            "headline": headline(report), "hasHeadline": true,
            "verdict": report.regressions.isEmpty ? "No regression found in the history window." : "\(count(report.regressions.count, "regression")) found.",
            "verdictClass": report.regressions.isEmpty ? "ok" : "bad",
            "regressionsSection": ["regressions": report.regressions.map(finding), "hasRegressions": !report.regressions.isEmpty,
                                   "improvements": report.improvements.map(finding), "hasImprovements": !report.improvements.isEmpty, "hasRange": true],
            "spreadChanges": report.spreadChanges.map(finding), "hasSpreadChanges": !report.spreadChanges.isEmpty,
            "footer": footer(report),
        ]
        context.merge(HTMLReportRenderer.charts(report.charts, svg: svg, note: chartsNote)) { $1 }
        var seriesContext: [[String: Any]] = []
        for s in report.series {
            var item: [String: Any] = ["scenario": s.scenario, "fingerprint": s.fingerprint, "runs": count(s.runs.count, "run"),
                                       "thisWeek": s.thisWeekRuns, "previousWeek": s.previousWeekRuns,
                                       "keyUnits": s.keyUnits.joined(separator: ", ")]
            if let w = s.weekOverWeek {
                item["weekOverWeek"] = ["rows": w.rows.map { weekRow($0, numbers) }]
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

    static func weekRow(_ r: WeekOverWeek.Row, _ numbers: WeeklyNumbers) -> [String: Any] {
        ["cell": r.cellLabel, "metric": r.unit, "previous": numbers.text(r.previousMedian, unit: r.unit),
         "current": numbers.text(r.currentMedian, unit: r.unit), "verdict": WeekOverWeek.verdictText(r),
         "class": r.isRegression ? "regression" : (r.isChange ? "improvement" : "")]
    }

    static func failedRun(_ r: RunResult) -> [String: Any] {
        let failed = r.cells.filter { $0.status != .ok }
        return ["run": r.runID, "scenario": r.scenario.name, "started": ISO8601DateFormatter().string(from: r.startedAt),
                "commit": r.source?.commit ?? "unknown", "status": r.status.rawValue,
                "cells": failed.map { ["label": CellDigest(cell: $0).label, "status": $0.status.rawValue, "reason": $0.reason ?? "no reason recorded"] }]
    }

    public static func markdown(_ report: WeeklyReport, chartLinks: [String: String], chartsNote: String?) -> String {
        let md = MarkdownReportRenderer.inline
        let numbers = WeeklyNumbers(report)
        var out = "# Surge weekly report\n\n"
        for line in headline(report) { out += "- \(md(line))\n" }
        out += findingsMarkdown(report)
        for (i, s) in report.series.enumerated() {
            out += "\n## \(md(s.scenario))\n\nHost: \(md(s.fingerprint)); \(count(s.runs.count, "run")) in the window, \(s.thisWeekRuns) this week, \(s.previousWeekRuns) the week before. Key metrics: \(md(s.keyUnits.joined(separator: ", "))).\n\n"
            if let w = s.weekOverWeek {
                out += "### This week against the previous week (per-run medians)\n\n| cell | metric | previous week | this week | change |\n|---|---|---:|---:|---|\n"
                for r in w.rows {
                    let previous = numbers.text(r.previousMedian, unit: r.unit)
                    let current = numbers.text(r.currentMedian, unit: r.unit)
                    out += "| \(md(r.cellLabel)) | \(md(r.unit)) | \(md(previous)) | \(md(current)) | "
                        + "\(md(WeekOverWeek.verdictText(r))) |\n"
                }
                out += "\n"
            }
            for chart in report.charts where chart.id.hasPrefix("trend-\(i)-") {
                if let link = chartLinks[chart.id] { out += "![\(md(chart.title))](\(link))  \n*\(md(chart.caption))*\n\n" }
            }
        }
        if let chartsNote { out += "\n> \(md(chartsNote))\n" }
        out += failedRunsMarkdown(report)
        out += "\n<sub>\(md(footer(report)))</sub>\n"
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
        let numbers = WeeklyNumbers(report)
        var out = ""
        let sections = [("Regressions", report.regressions, "🔴"), ("Improvements", report.improvements, "🟢"),
                        ("Spread changes", report.spreadChanges, "🟡")]
        for (title, list, mark) in sections where !list.isEmpty {
            out += "\n### \(title)\n\n| | scenario | cell | metric | change | threshold | p | appeared in |\n|---|---|---|---|---|---:|---:|---|\n"
            for f in list {
                out += "| \(mark) | \(md(f.scenario)) | \(md(f.cellLabel)) | \(md(f.unit)) | \(md(changeText(f))) (\(md(levelText(f, numbers)))) | \(thresholdText(f)) | \(GoFloatFormat.fixed(f.change.p, 4)) | \(md(rangeText(f))) |\n"
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
        {{#hasSpreadChanges}}<h2 id="spread">Spread changes</h2>
        <table class="findings"><tr><th class="name">cell</th><th>metric</th><th>change</th><th>threshold</th><th>p</th><th class="name">appeared in</th></tr>
        {{#spreadChanges}}<tr><td class="name">{{cell}}</td><td>{{metric}}</td><td class="delta">{{change}}</td><td>{{threshold}}</td><td>{{p}}</td><td class="name">{{range}}</td></tr>
        {{/spreadChanges}}</table>{{/hasSpreadChanges}}
        {{#series}}<h2>{{scenario}}</h2>
        <div class="sub">Host {{fingerprint}} · {{runs}} in the window, {{thisWeek}} this week, {{previousWeek}} the week before · key metrics: {{keyUnits}}</div>
        {{#weekOverWeek}}<h3>This week against the previous week (per-run medians)</h3>
        <table class="findings"><tr><th class="name">cell</th><th>metric</th><th>previous week</th><th>this week</th><th>change</th></tr>
        {{#rows}}<tr class="{{class}}"><td class="name">{{cell}}</td><td>{{metric}}</td><td>{{previous}}</td><td>{{current}}</td><td class="delta">{{verdict}}</td></tr>
        {{/rows}}</table>{{/weekOverWeek}}
        {{^weekOverWeek}}<div class="note">{{noComparison}}</div>{{/weekOverWeek}}
        {{/series}}
        <h2 id="charts">Trends</h2>
        {{> charts}}
        {{#hasFailedRuns}}<h2 id="failed">Runs with failures this week</h2>
        <table class="failed"><tr><th class="name">run</th><th class="name">scenario</th><th class="name">started</th><th class="name">commit</th><th class="name">cell</th><th class="name">status</th><th class="name">why</th></tr>
        {{#failedRuns}}{{#cells}}<tr><td class="name">{{run}}</td><td class="name">{{scenario}}</td><td class="name">{{started}}</td><td class="name">{{commit}}</td><td class="name">{{label}}</td><td class="name">{{status}}</td><td class="name">{{reason}}</td></tr>{{/cells}}{{/failedRuns}}</table>{{/hasFailedRuns}}
        """
}
