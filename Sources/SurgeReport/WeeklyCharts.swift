import Foundation
import SurgeStats

/// Trend charts of the weekly report: per scenario and key metric, small multiples (one panel per
/// cell, each on its own y scale) of the median per run with its interval as a band. Every finding
/// is drawn on its panel: a step as a red dashed line at the first run of the new level with the
/// runs it may have come between shaded, a drift as its fitted line with the band of its interval,
/// a spread change as a purple dotted line; outlier runs the detector set aside are red crosses.
enum WeeklyCharts {
    /// Panels with more runs than this draw the median as a line without a marker per run.
    static let mostMarkedRuns = 90

    /// One chart per key metric, built side by side (a year of a 50-cell scenario is ~100k numbers each).
    static func trends(_ series: WeeklySeries, index: Int) -> [ChartSpec] {
        guard series.runs.count >= 2, let first = series.runs.first?.startedAt, let last = series.runs.last?.startedAt else { return [] }
        let units = series.keyUnits
        return EveryCore.map(units.count) { u in trend(series, unit: units[u], index: index, first: first, last: last) }
            .compactMap { $0 }
    }

    /// The small multiples of one metric: a panel per cell that measured it; nil when none did.
    static func trend(_ series: WeeklySeries, unit: String, index: Int, first: Date, last: Date) -> ChartSpec? {
        let columns0 = 4
        let cells = series.cells.filter { (series.points[unit]?[$0.name]?.count ?? 0) > 0 }
        guard !cells.isEmpty else { return nil }
        let columns = min(cells.count, columns0)
        let rows = (cells.count + columns - 1) / columns
        var data = ""
        var commands = ["set xdata time", "set timefmt '%s'", "set xtics font ',8'", "set ytics font ',8'", "set key off",
                        "set title font ',9'", "set ylabel font ',8'"]
        commands += timeTics(from: first, to: last, columns: columns)
        commands.append("set xrange [\(Int(first.timeIntervalSince1970) - 43_200):\(Int(last.timeIntervalSince1970) + 43_200)]")
        commands.append("set multiplot layout \(rows),\(columns) title \(ChartSpec.quote("\(series.scenario): \(unit) per run, each panel on its own scale")) font ',11'")
        var block = 0
        for c in cells {
            let points = series.points[unit]?[c.name] ?? []
            let scale = MetricFormat.scale(for: [points.map(\.median).max() ?? 1], unit: unit)
            let f = scale.factor
            for p in points where !p.isOutlier {
                data += "\(Int(p.time.timeIntervalSince1970)) \(point(p.median / f)) \(point(p.lo / f)) \(point(p.hi / f))\n"
            }
            data += "\n\n"
            let outliers = points.filter(\.isOutlier)
            for p in outliers { data += "\(Int(p.time.timeIntervalSince1970)) \(point(p.median / f))\n" }
            if !outliers.isEmpty { data += "\n\n" }
            commands += ["unset arrow", "unset object"]
            for (n, finding) in series.findings.enumerated() where finding.unit == unit && finding.cell == c.name {
                commands += marks(finding, factor: f, object: n + 1)
            }
            commands.append("set title \(ChartSpec.quote(c.label))")
            let axis = MetricFormat.isDuration(unit) ? scale.suffix : (scale.suffix.isEmpty ? unit : "\(scale.suffix) \(unit)")
            commands.append("set ylabel \(ChartSpec.quote(axis))")
            // A marker per run while they can be told apart; over months, the line alone (and a third of the SVG).
            let line = points.count > Self.mostMarkedRuns ? "lines lt 1" : "linespoints lt 1 pt 7 ps 0.4"
            var plot = "plot $DATA index \(block) using 1:3:4 with filledcurves lc rgb '#cfe2f3' notitle, "
                + "$DATA index \(block) using 1:2 with \(line) notitle"
            if !outliers.isEmpty { plot += ", $DATA index \(block + 1) using 1:2 with points pt 2 ps 1.2 lc rgb '#d62728' notitle" }
            commands.append(plot)
            block += outliers.isEmpty ? 1 : 2
        }
        commands.append("unset multiplot")
        return ChartSpec(
            id: "trend-\(index)-\(ChartSpec.slug(unit))", title: "\(series.scenario): \(unit) per run",
            caption: "\(series.scenario) on \(series.fingerprint): median \(unit) of each run, one panel per cell on its own y scale; "
                + "band: the run's 95% CI (min–max with fewer than 6 repetitions); red dashes: a step at its first run "
                + "(shaded: the runs it may have come between); orange line and band: a drift and its interval; "
                + "purple dots: a spread change; red crosses: outlier runs left out of the analysis.",
            width: 1200, height: max(280, 250 * rows + 40), commands: commands, data: data)
    }

    /// A data value as Swift prints a `Double` (the shortest text that reads back exactly), which gnuplot
    /// parses and which costs a fraction of `printf`: a year of runs is ~150k values per page.
    static func point(_ v: Double) -> String { v.isFinite ? v.description : "NaN" }

    /// The gnuplot objects that mark one finding on its panel.
    static func marks(_ finding: TrendFinding, factor: Double, object: Int) -> [String] {
        let t = Int(finding.firstAtNewLevel.startedAt.timeIntervalSince1970)
        let after = Int(finding.firstSurelyAfter.startedAt.timeIntervalSince1970)
        let before = Int((finding.lastSurelyBefore ?? finding.firstAtNewLevel).startedAt.timeIntervalSince1970)
        switch finding.kind {
        case .step:
            return ["set object \(object) rect from \(before), graph 0 to \(after), graph 1 behind fc rgb '#f4cccc' fs solid 0.5 noborder",
                    "set arrow from \(t), graph 0 to \(t), graph 1 nohead lc rgb '#d62728' dt 2 lw 2"]
        case .spread:
            return ["set arrow from \(t), graph 0 to \(t), graph 1 nohead lc rgb '#9467bd' dt 3 lw 2"]
        case .drift:
            // The fitted line and the wedge of its slope's interval, from the start of the window.
            let y0 = finding.change.before / factor
            let s = finding.change.shift
            let ends = [s.lower, s.upper].map { ChartSpec.num(y0 * (1 + $0)) }
            return ["set object \(object) polygon from \(before),\(ChartSpec.num(y0)) to \(after),\(ends[0]) to \(after),\(ends[1]) to \(before),\(ChartSpec.num(y0)) behind fc rgb '#fdd0a2' fs solid 0.6 noborder",
                    "set arrow from \(before),\(ChartSpec.num(y0)) to \(after),\(ChartSpec.num(finding.change.after / factor)) nohead lc rgb '#ff7f0e' lw 2"]
        }
    }

    /// Ticks at whole days (every 1, 2, 7, 14, 28… days, at most about five per panel); the first
    /// label and the first of each new year carry the year.
    static func timeTics(from first: Date, to last: Date, columns: Int) -> [String] {
        let day = 86_400.0
        let span = max(last.timeIntervalSince(first) / day, 1)
        let most = columns >= 3 ? 4.0 : 6.0
        let step = [1.0, 2, 7, 14, 28, 56, 91, 182, 364].first { span / $0 <= most } ?? 364
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let full = DateFormatter(), short = DateFormatter()
        for (f, format) in [(full, "yyyy-MM-dd"), (short, "MMM d")] {
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = calendar.timeZone
            f.dateFormat = format
        }
        var tick = calendar.startOfDay(for: first)
        if tick < first { tick = tick.addingTimeInterval(day) }
        var tics: [String] = []
        var year: Int?
        while tick <= last.addingTimeInterval(day / 2) {
            let y = calendar.component(.year, from: tick)
            let label = year == y ? short.string(from: tick) : full.string(from: tick)
            year = y
            tics.append("\(ChartSpec.ticLabel(label)) \(Int(tick.timeIntervalSince1970))")
            tick = tick.addingTimeInterval(step * day)
        }
        return tics.isEmpty ? ["set format x '%Y-%m-%d'"] : ["set xtics (\(tics.joined(separator: ", ")))"]
    }
}
