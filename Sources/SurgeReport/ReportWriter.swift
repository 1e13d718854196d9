import Foundation
import SurgeResults

/// Writes a report directory: `index.html` (self-contained), `report.md`, and the charts the markdown
/// links in `charts/` (PNG for a run report, SVG for the weekly page). Charts are drawn by
/// `GnuplotRenderer`; without gnuplot the pages are still written and say why they have no charts.
public struct ReportWriter: Sendable {
    public var gnuplot: GnuplotRenderer

    public init(gnuplot: GnuplotRenderer = GnuplotRenderer()) {
        self.gnuplot = gnuplot
    }

    public struct Written: Sendable {
        public var htmlPath: String
        public var markdownPath: String
        public var chartCount: Int
        /// Why charts are missing, when they are, and any stale chart that could not be removed.
        public var chartsNote: String?
    }

    public func write(_ report: RunReport, to directory: String) throws -> Written {
        var report = report
        if !report.profileDiffs.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try ProfileDiffs.writeSVGs(&report.profileDiffs, to: directory)
        }
        let charts = gnuplot.render(report.charts, formats: [.svg, .png], pngDirectory: "\(directory)/charts")
        let stale = Self.removeStaleCharts(in: "\(directory)/charts", keeping: Set(charts.png.values))
        let links = charts.png.mapValues { "charts/" + ($0 as NSString).lastPathComponent }
        let page = HTMLReportRenderer.render(report, svg: charts.svg, chartsNote: charts.reason)
        let html = ProfileDiffs.inserting(ProfileDiffs.html(report.profileDiffs), into: page)
        let markdown = MarkdownReportRenderer.render(report, chartLinks: links, chartsNote: charts.reason)
            + ProfileDiffs.markdown(report.profileDiffs)
        return try save(html: html, markdown: markdown, directory: directory, chartCount: charts.svg.count,
                        note: Self.note(charts.reason, stale))
    }

    /// The weekly page's markdown links the SVG files gnuplot drew for the HTML: its trend charts have a panel
    /// per cell and a point per run, which take gnuplot seconds to rasterise as PNG over a year of runs.
    public func write(_ report: WeeklyReport, to directory: String) throws -> Written {
        let charts = gnuplot.render(report.charts, formats: [.svg], svgDirectory: "\(directory)/charts")
        let stale = Self.removeStaleCharts(in: "\(directory)/charts", keeping: Set(charts.svgFiles.values))
        let links = charts.svgFiles.mapValues { "charts/" + ($0 as NSString).lastPathComponent }
        let html = WeeklyRenderer.html(report, svg: charts.svg, chartsNote: charts.reason)
        let markdown = WeeklyRenderer.markdown(report, chartLinks: links, chartsNote: charts.reason)
        return try save(html: html, markdown: markdown, directory: directory, chartCount: charts.svg.count,
                        note: Self.note(charts.reason, stale))
    }

    /// Removes the PNGs an earlier write left in `charts/` that this write did not draw (a rewrite without
    /// a baseline has no before/after charts; the markdown must not sit beside charts it no longer shows).
    /// Only `*.png` and `*.svg` files go; anything else a user put there stays. Returns a line for each
    /// that stayed.
    static func removeStaleCharts(in directory: String, keeping drawn: Set<String>) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        let keep = Set(drawn.map { ($0 as NSString).lastPathComponent })
        var problems: [String] = []
        for name in names.sorted() where (name.hasSuffix(".png") || name.hasSuffix(".svg")) && !keep.contains(name) {
            do {
                try FileManager.default.removeItem(atPath: "\(directory)/\(name)")
            } catch {
                problems.append("cannot remove the stale chart \(directory)/\(name), which this report no longer "
                    + "shows: \((error as NSError).localizedDescription)")
            }
        }
        return problems
    }

    static func note(_ reason: String?, _ stale: [String]) -> String? {
        let lines = (reason.map { [$0] } ?? []) + stale
        return lines.isEmpty ? nil : lines.joined(separator: "; ")
    }

    private func save(html: String, markdown: String, directory: String, chartCount: Int, note: String?) throws -> Written {
        let htmlPath = "\(directory)/index.html"
        let mdPath = "\(directory)/report.md"
        try AtomicFile.write(Data(html.utf8), to: htmlPath)
        try AtomicFile.write(Data(markdown.utf8), to: mdPath)
        return Written(htmlPath: htmlPath, markdownPath: mdPath, chartCount: chartCount, chartsNote: note)
    }
}
