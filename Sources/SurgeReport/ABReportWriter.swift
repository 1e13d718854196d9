import Foundation
import SurgeCompare
import SurgeResults
import SurgeStats

/// Writes a `surge ab` comparison to a directory: `ab.txt`, `ab.md`, `index.html`, and per gated
/// metric a forest plot (`forest-<metric>.svg`, gnuplot): each cell's ratio B/A with its interval,
/// the raw values of A and B in each round as dots (divided by A's median, so they share the ratio
/// axis), the threshold band shaded.
extension ReportWriter {
    /// The forest plots, one per gated metric shown.
    public static func forestPlots(_ report: ABReport) -> [ChartSpec] {
        let byMetric = Dictionary(grouping: report.shown.filter(\.finding.isGated), by: \.metric)
        return byMetric.keys.sorted().compactMap { metric in
            let entries = byMetric[metric]!.filter { $0.paired != nil }
            guard !entries.isEmpty else { return nil }
            var intervals = ""
            var dots = ["", ""]
            var lo = 1.0
            var hi = 1.0
            for (i, e) in entries.enumerated() {
                let p = e.paired!
                let y = Double(entries.count - 1 - i)
                let l = p.isBounded ? p.lower : p.roundRatios.min() ?? p.ratio
                let h = p.isBounded ? p.upper : p.roundRatios.max() ?? p.ratio
                intervals += "\(ChartSpec.num(y)) \(ChartSpec.num(p.ratio)) \(ChartSpec.num(l)) \(ChartSpec.num(h))\n"
                lo = min(lo, l)
                hi = max(hi, h)
                // The raw rounds of A (above the row) and B (below it), on the ratio axis: each divided
                // by A's median, so A scatters around 1 and B around the ratio.
                let scale = RobustStatistics.median(e.a)
                guard scale > 0 else { continue }
                for (side, values) in [e.a, e.b].enumerated() {
                    let offset = side == 0 ? 0.18 : -0.18
                    for (r, value) in values.enumerated() {
                        let jitter = (Double(r) / Double(max(1, values.count - 1)) - 0.5) * 0.1
                        let x = value / scale
                        dots[side] += "\(ChartSpec.num(y + offset + jitter)) \(ChartSpec.num(x))\n"
                        lo = min(lo, x)
                        hi = max(hi, x)
                    }
                }
            }
            let t = entries[0].finding.threshold ?? 0
            lo = min(lo, 1 - t)
            hi = max(hi, 1 + t)
            let pad = (hi - lo) * 0.08 + 1e-6
            let tics = entries.enumerated().map { i, e in
                "\(ChartSpec.ticLabel(e.row)) \(entries.count - 1 - i)"
            }.joined(separator: ", ")
            let title =
                "B/A \(metric): ratio, \(report.confidenceText) interval per cell; dots: rounds of A and B ÷ median A"
            let commands = [
                "set title \(ChartSpec.quote(title))",
                "set xlabel \(ChartSpec.quote("B/A (1 = unchanged)"))",
                "set ytics (\(tics))",
                "set yrange [-0.7:\(Double(entries.count) - 0.3)]",
                "set xrange [\(ChartSpec.num(lo - pad)):\(ChartSpec.num(hi + pad))]",
                "set grid xtics",
                "set object 1 rect from first \(ChartSpec.num(1 - t)), graph 0 to first \(ChartSpec.num(1 + t)), graph 1 behind fc rgb '#eeeeee' fs solid 1.0 noborder",
                "set arrow 1 from 1,graph 0 to 1,graph 1 nohead lc rgb '#888888' dt 2",
                "plot $DATA index 0 using 2:1:3:4 with xerrorbars lt 1 pt 7 ps 1.2 title 'ratio, interval'"
                    + (dots[0].isEmpty
                        ? ""
                        : ", $DATA index 1 using 2:1 with points lc rgb '#1f77b4' pt 6 ps 0.6 title 'A rounds', "
                            + "$DATA index 2 using 2:1 with points lc rgb '#d62728' pt 4 ps 0.6 title 'B rounds'"),
            ]
            let height = max(220, 90 + 40 * entries.count)
            return ChartSpec(
                id: "forest-" + ChartSpec.slug(metric), title: "B/A \(metric)",
                caption: "Shaded: the threshold band ±\(GoFloatFormat.shortest(t * 100))%.", width: 860, height: height,
                commands: commands, data: intervals + "\n\n" + dots[0] + "\n\n" + dots[1])
        }
    }

    public func write(_ report: ABReport, to directory: String) throws -> Written {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var report = report
        try ProfileDiffs.writeSVGs(&report.profileDiffs, to: directory)
        let charts = Self.forestPlots(report)
        let drawn = gnuplot.render(charts, formats: [.svg])
        var files: [String: String] = [:]
        for chart in charts {
            guard let svg = drawn.svg[chart.id] else { continue }
            let name = "\(chart.id).svg"
            try AtomicFile.write(Data(svg.utf8), to: "\(directory)/\(name)")
            files[chart.title] = name
        }
        let text = "\(directory)/ab.txt"
        let markdown = "\(directory)/ab.md"
        let html = "\(directory)/index.html"
        try AtomicFile.write(Data(report.text().utf8), to: text)
        try AtomicFile.write(Data(report.markdown(charts: files).utf8), to: markdown)
        try AtomicFile.write(
            Data(Self.abHTML(report, charts: charts, svg: drawn.svg, note: drawn.reason).utf8), to: html)
        return Written(htmlPath: html, markdownPath: markdown, chartCount: files.count, chartsNote: drawn.reason)
    }

    static func abHTML(_ report: ABReport, charts: [ChartSpec], svg: [String: String], note: String?) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var out = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>surge ab: \(esc(report.a.scenario.name))</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}
            td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right}
            .regression{color:#b00;font-weight:bold}.improvement{color:#070}</style></head><body>
            <h1>surge ab: \(esc(report.a.scenario.name))</h1>

            """
        out += "<ul>" + report.header.map { "<li>\(esc($0))</li>" }.joined() + "</ul>\n"
        let rows = report.rows()
        out += "<table><tr>" + rows[0].map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
        for row in rows.dropFirst() {
            let cls =
                row.last!.hasPrefix("REGRESSION")
                ? " class=\"regression\"" : row.last!.hasPrefix("improvement") ? " class=\"improvement\"" : ""
            out +=
                "<tr\(cls)>"
                + row.enumerated().map { i, v in
                    [2, 3, 5, 6].contains(i) ? "<td class=\"n\">\(esc(v))</td>" : "<td>\(esc(v))</td>"
                }.joined() + "</tr>\n"
        }
        out += "</table>\n"
        for chart in charts {
            guard let s = svg[chart.id] else { continue }
            out += "<figure>\(s)<figcaption>\(esc(chart.caption))</figcaption></figure>\n"
        }
        if let note { out += "<p>\(esc(note))</p>\n" }
        out += ProfileDiffs.html(report.profileDiffs)
        out += "<h2>Rounds</h2><ul>" + report.roundLines().map { "<li>\(esc($0))</li>" }.joined() + "</ul>\n"
        for w in report.comparison.warnings { out += "<p>warning: \(esc(w))</p>\n" }
        if let stop = report.stopReason { out += "<p>rounds: \(esc(stop))</p>\n" }
        out += "<p><strong>\(esc(report.comparison.verdict))</strong></p>\n</body></html>\n"
        return out
    }
}
