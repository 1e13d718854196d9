import Foundation
import SurgeCompare
import SurgeResults
import SurgeStats

/// Writes a `surge ab` comparison to a directory: `ab.txt`, `ab.md`, `index.html`, and per gated
/// metric a forest plot (`forest-<metric>.svg`, gnuplot): each cell's ratio B/A with its interval,
/// each round's ratio as a dot, the threshold band shaded.
extension ReportWriter {
    /// The forest plots, one per gated metric shown.
    public static func forestPlots(_ report: ABReport) -> [ChartSpec] {
        let byMetric = Dictionary(grouping: report.shown.filter(\.finding.isGated), by: \.metric)
        return byMetric.keys.sorted().compactMap { metric in
            let entries = byMetric[metric]!.filter { $0.paired != nil }
            guard !entries.isEmpty else { return nil }
            var intervals = ""
            var dots = ""
            var lo = 1.0
            var hi = 1.0
            for (i, e) in entries.enumerated() {
                let p = e.paired!
                let y = Double(entries.count - 1 - i)
                let l = p.isBounded ? p.lower : p.roundRatios.min() ?? p.ratio
                let h = p.isBounded ? p.upper : p.roundRatios.max() ?? p.ratio
                intervals += "\(ChartSpec.num(y)) \(ChartSpec.num(p.ratio)) \(ChartSpec.num(l)) \(ChartSpec.num(h))\n"
                for (r, ratio) in p.roundRatios.enumerated() {
                    let jitter = (Double(r) / Double(max(1, p.roundRatios.count - 1)) - 0.5) * 0.3
                    dots += "\(ChartSpec.num(y + jitter)) \(ChartSpec.num(ratio))\n"
                }
                lo = min(lo, l, p.roundRatios.min() ?? 1)
                hi = max(hi, h, p.roundRatios.max() ?? 1)
            }
            let t = entries[0].finding.threshold ?? 0
            lo = min(lo, 1 - t)
            hi = max(hi, 1 + t)
            let pad = (hi - lo) * 0.08 + 1e-6
            let tics = entries.enumerated().map { i, e in
                "\(ChartSpec.ticLabel(e.row)) \(entries.count - 1 - i)"
            }.joined(separator: ", ")
            let commands = [
                "set title \(ChartSpec.quote("B/A \(metric): ratio and \(report.confidenceText) interval per cell; dots: rounds"))",
                "set xlabel \(ChartSpec.quote("B/A (1 = unchanged)"))",
                "set ytics (\(tics))",
                "set yrange [-0.7:\(Double(entries.count) - 0.3)]",
                "set xrange [\(ChartSpec.num(lo - pad)):\(ChartSpec.num(hi + pad))]",
                "set grid xtics",
                "set object 1 rect from first \(ChartSpec.num(1 - t)), graph 0 to first \(ChartSpec.num(1 + t)), graph 1 behind fc rgb '#eeeeee' fs solid 1.0 noborder",
                "set arrow 1 from 1,graph 0 to 1,graph 1 nohead lc rgb '#888888' dt 2",
                "plot $DATA index 0 using 2:1:3:4 with xerrorbars lt 1 pt 7 ps 1.2 title 'ratio, interval', "
                    + "$DATA index 1 using 2:1 with points lt 2 pt 6 ps 0.6 title 'rounds'",
            ]
            let height = max(220, 90 + 40 * entries.count)
            return ChartSpec(
                id: "forest-" + ChartSpec.slug(metric), title: "B/A \(metric)",
                caption: "Shaded: the threshold band ±\(GoFloatFormat.shortest(t * 100))%.", width: 860, height: height,
                commands: commands, data: intervals + "\n\n" + dots)
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
