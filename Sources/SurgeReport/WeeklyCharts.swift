import Foundation
import SurgeStats

/// Trend charts of the weekly report: per scenario and key metric, small multiples (one panel per
/// cell) of the median per run with its interval as a band, change points as red dashed lines.
enum WeeklyCharts {
    static func trends(_ series: WeeklySeries, index: Int) -> [ChartSpec] {
        var charts: [ChartSpec] = []
        guard series.runs.count >= 2 else { return [] }
        for unit in series.keyUnits {
            let cells = series.cells.filter { (series.points[unit]?[$0.name]?.count ?? 0) > 0 }
            guard !cells.isEmpty else { continue }
            let all = cells.flatMap { series.points[unit]?[$0.name] ?? [] }
            let scale = MetricFormat.scale(for: [all.map(\.median).max() ?? 1], unit: unit)
            let axisUnit = MetricFormat.isDuration(unit) ? scale.suffix : (scale.suffix.isEmpty ? unit : "\(scale.suffix) \(unit)")
            var data = ""
            for c in cells {
                for p in series.points[unit]?[c.name] ?? [] {
                    data += "\(Int(p.time.timeIntervalSince1970)) \(ChartSpec.num(p.median / scale.factor)) \(ChartSpec.num(p.lo / scale.factor)) \(ChartSpec.num(p.hi / scale.factor))\n"
                }
                data += "\n\n"
            }
            let columns = cells.count >= 4 ? 4 : cells.count
            let rows = (cells.count + columns - 1) / columns
            var commands = ["set xdata time", "set timefmt '%s'", "set format x '%m-%d'", "set xtics rotate by -30 font ',8'",
                            "set ytics font ',8'", "set key off", "set title font ',9'",
                            "set multiplot layout \(rows),\(columns) title \(ChartSpec.quote("\(series.scenario): \(unit) per run (median, band: 95% CI or range), \(axisUnit); red dashes: change points")) font ',11'"]
            for (k, c) in cells.enumerated() {
                commands.append("unset arrow")
                for f in series.findings where f.unit == unit && f.cell == c.name {
                    let t = Int(f.firstAfter.startedAt.timeIntervalSince1970)
                    commands.append("set arrow from \(t), graph 0 to \(t), graph 1 nohead lc rgb '#d62728' dt 2 lw 2")
                }
                commands.append("set title \(ChartSpec.quote(c.label))")
                commands.append("plot $DATA index \(k) using 1:3:4 with filledcurves lc rgb '#cfe2f3' notitle, $DATA index \(k) using 1:2 with linespoints lt 1 pt 7 ps 0.4 notitle")
            }
            commands.append("unset multiplot")
            charts.append(ChartSpec(id: "trend-\(index)-\(ChartSpec.slug(unit))", title: "\(series.scenario): \(unit) per run",
                                    caption: "\(series.scenario) on \(series.fingerprint): median \(unit) of each run, one panel per cell; band: the run's 95% CI (min–max with fewer than 6 repetitions); red dashes: change points.",
                                    width: 1200, height: max(260, 230 * rows + 40), commands: commands, data: data))
        }
        return charts
    }
}
