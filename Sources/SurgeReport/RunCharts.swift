import Foundation
import SurgeResults
import SurgeStats

/// The charts of a run report, as `ChartSpec`s: throughput against the parameter that varies most,
/// latency spectra per cell (baseline overlaid), before/after bars per metric, per-syscall stacked
/// bars and allocations per op (when probes measured them).
public enum RunCharts {
    public static func all(_ digest: RunDigest, baseline: RunDigest?) -> [ChartSpec] {
        var charts: [ChartSpec] = []
        for unit in digest.primaryThroughputUnits { if let c = throughput(digest, unit: unit) { charts.append(c) } }
        if let baseline { charts += beforeAfter(digest, baseline: baseline) }
        if let c = syscalls(digest) { charts.append(c) }
        if let c = perCellBars(digest, unit: "allocs/op", title: "Heap allocations per op by cell") { charts.append(c) }
        charts += latencySpectra(digest, baseline: baseline)
        return charts
    }

    /// What a chart's whiskers show, for its caption: the 95% CI when every whisker is one, else min–max.
    static func whiskerName(allCI: Bool) -> String {
        allCI ? "95% CI of the median" : "min–max of the repetitions (fewer than 6: no 95% CI)"
    }

    /// Interval drawn as whiskers: the 95% CI when finite, else min–max (said in the caption).
    static func whiskers(_ s: Summary, values: [Double]) -> (lo: Double, hi: Double, isCI: Bool) {
        if s.lo.isFinite && s.hi.isFinite { return (s.lo, s.hi, s.kind == .median) }
        return (values.min() ?? s.center, values.max() ?? s.center, false)
    }

    /// The parameter with the most distinct values among `cells` (first in scenario order on ties).
    static func mostVaryingParameter(_ cells: [CellDigest], order: [String]) -> String? {
        var best: (name: String, count: Int)?
        for name in order {
            let count = Set(cells.compactMap { c in c.parameters.first { $0.name == name }?.value }).count
            if count > 1 && count > (best?.count ?? 1) { best = (name, count) }
        }
        return best?.name
    }

    static func throughput(_ digest: RunDigest, unit: String) -> ChartSpec? {
        let cells = digest.okCells.filter { $0.summaries[unit] != nil }
        guard let axis = mostVaryingParameter(cells, order: digest.parameterNames) else { return nil }
        var xValues: [String] = []
        for c in cells { if let v = c.parameters.first(where: { $0.name == axis })?.value, !xValues.contains(v) { xValues.append(v) } }
        // A numeric axis (payload, connections) gets lines; a categorical one (flush, workload) gets dots:
        // a line between two categories would claim values in between.
        let numeric = xValues.allSatisfy { Double($0) != nil }
        if numeric { xValues.sort { Double($0)! < Double($1)! } }
        var series: [(label: String, points: [(x: Int, s: Summary, values: [Double])])] = []
        for c in cells {
            let others = c.parameters.filter { $0.name != axis && !c.commonParameters.contains($0.name) }.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            guard let v = c.parameters.first(where: { $0.name == axis })?.value, let x = xValues.firstIndex(of: v), let s = c.summaries[unit] else { continue }
            if let i = series.firstIndex(where: { $0.label == others }) {
                series[i].points.append((x, s, c.values[unit] ?? []))
            } else {
                series.append((others, [(x, s, c.values[unit] ?? [])]))
            }
        }
        let all = cells.compactMap { $0.summaries[unit]?.center }
        let scale = MetricFormat.scale(for: [all.max() ?? 1], unit: unit)
        var data = ""
        var allCI = true
        let k = Double(series.count)
        for (i, s) in series.enumerated() {
            let offset = k > 1 ? (Double(i) - (k - 1) / 2) * min(0.04, 0.5 / k) : 0
            for p in s.points.sorted(by: { $0.x < $1.x }) {
                let w = whiskers(p.s, values: p.values)
                allCI = allCI && w.isCI
                data += "\(ChartSpec.num(Double(p.x) + offset)) \(ChartSpec.num(p.s.center / scale.factor)) \(ChartSpec.num(w.lo / scale.factor)) \(ChartSpec.num(w.hi / scale.factor))\n"
            }
            data += "\n\n"
        }
        let interval = whiskerName(allCI: allCI)
        let yUnit = scale.suffix.isEmpty ? unit : "\(scale.suffix) \(unit)"
        let per = numeric ? "one line" : "one colour"
        var commands = ["set title \(ChartSpec.quote("Throughput (\(unit)) against \(axis), \(per) per other-parameter combination"))",
                        "set xlabel \(ChartSpec.quote(axis))", "set ylabel \(ChartSpec.quote("\(yUnit) (median)"))",
                        "set yrange [0:*]"]
        commands += ChartSpec.xtics(xValues)
        let style = numeric ? "yerrorlines" : "yerrorbars pt 7 ps 1.3"
        let plots = series.enumerated().map { i, s in
            "$DATA index \(i) using 1:2:3:4 with \(style) lt \(i + 1) title \(ChartSpec.quote(s.label.isEmpty ? "all" : s.label))"
        }
        commands.append("plot " + plots.joined(separator: ", "))
        let shape = numeric ? "lines join the cells of one series" : "\(axis) is categorical: one dot per cell, no lines"
        return ChartSpec(id: "throughput-\(ChartSpec.slug(unit))", title: "Throughput (\(unit)) against \(axis)",
                         caption: "Median \(unit) per cell; whiskers: \(interval); \(shape). Higher is better.",
                         width: 900, height: 460, commands: commands, data: data)
    }

    static func beforeAfter(_ digest: RunDigest, baseline: RunDigest) -> [ChartSpec] {
        var charts: [ChartSpec] = []
        for unit in digest.units where !unit.hasPrefix("syscalls.") {
            let pairs: [(label: String, old: Summary, oldValues: [Double], new: Summary, newValues: [Double])] = digest.okCells.compactMap { c in
                guard let new = c.summaries[unit], let b = baseline.cell(named: c.name), let old = b.summaries[unit] else { return nil }
                return (c.shortLabel, old, b.values[unit] ?? [], new, c.values[unit] ?? [])
            }
            guard !pairs.isEmpty else { continue }
            let scale = MetricFormat.scale(for: [pairs.map { max($0.old.center, $0.new.center) }.max() ?? 1], unit: unit)
            var data = ""
            var allCI = true
            for (i, p) in pairs.enumerated() {
                let wo = whiskers(p.old, values: p.oldValues)
                let wn = whiskers(p.new, values: p.newValues)
                allCI = allCI && wo.isCI && wn.isCI
                let f = scale.factor
                data += "\(i) \(ChartSpec.num(p.old.center / f)) \(ChartSpec.num(wo.lo / f)) \(ChartSpec.num(wo.hi / f)) \(ChartSpec.num(p.new.center / f)) \(ChartSpec.num(wn.lo / f)) \(ChartSpec.num(wn.hi / f))\n"
            }
            let direction = MetricDirection(unit: unit) == .higherIsBetter ? "higher is better" : "lower is better"
            let axisUnit = MetricFormat.isDuration(unit) ? scale.suffix : (scale.suffix.isEmpty ? unit : "\(scale.suffix) \(unit)")
            var commands = ["set title \(ChartSpec.quote("\(unit): baseline against this run, per cell (\(direction))"))",
                            "set xlabel \(ChartSpec.quote(digest.parameterNames.joined(separator: "/")))",
                            "set ylabel \(ChartSpec.quote("\(unit) (\(axisUnit))"))", "set yrange [0:*]",
                            "set style fill solid 0.75 border -1", "set boxwidth 0.38 absolute"]
            commands += ChartSpec.xtics(pairs.map(\.label), rotate: pairs.count > 4)
            commands.append("plot $DATA using ($1-0.2):2 with boxes lc rgb '#9e9e9e' title 'baseline', "
                            + "$DATA using ($1-0.2):2:3:4 with yerrorbars lc rgb '#333333' pt -1 notitle, "
                            + "$DATA using ($1+0.2):5 with boxes lc rgb '#1f77b4' title 'this run', "
                            + "$DATA using ($1+0.2):5:6:7 with yerrorbars lc rgb '#333333' pt -1 notitle")
            let interval = whiskerName(allCI: allCI)
            charts.append(ChartSpec(id: "before-after-\(ChartSpec.slug(unit))", title: "\(unit): baseline against this run",
                                    caption: "Median per cell, \(direction); whiskers: \(interval).",
                                    width: 680, height: pairs.count > 4 ? 440 : 380, commands: commands, data: data))
        }
        return charts
    }

    static func syscalls(_ digest: RunDigest) -> ChartSpec? {
        let cells = digest.okCells.filter { c in c.summaries.keys.contains { $0.hasPrefix("syscalls.") && $0.hasSuffix("/op") } }
        guard !cells.isEmpty else { return nil }
        var totals: [String: Double] = [:]
        for c in cells { for (u, s) in c.summaries where u.hasPrefix("syscalls.") && u.hasSuffix("/op") { totals[u, default: 0] += s.center } }
        let top = totals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(8).map(\.key)
        let rest = Set(totals.keys).subtracting(top)
        var data = ""
        for (i, c) in cells.enumerated() {
            var row = "\(i)"
            for u in top { row += " " + ChartSpec.num(c.summaries[u]?.center ?? 0) }
            row += " " + ChartSpec.num(rest.reduce(0) { $0 + (c.summaries[$1]?.center ?? 0) })
            data += row + "\n"
        }
        var commands = ["set title 'System calls per op by cell, top syscalls stacked'",
                        "set xlabel \(ChartSpec.quote(digest.parameterNames.joined(separator: "/")))",
                        "set ylabel 'syscalls per op (median)'", "set yrange [0:*]",
                        "set style data histograms", "set style histogram rowstacked", "set style fill solid 0.8 border -1", "set boxwidth 0.7"]
        commands += ChartSpec.xtics(cells.map(\.shortLabel), rotate: cells.count > 4)
        var plots: [String] = []
        for (i, u) in top.enumerated() {
            let name = String(u.dropFirst("syscalls.".count).dropLast("/op".count))
            plots.append("$DATA using \(i + 2) lt \(i + 1) title \(ChartSpec.quote(name))")
        }
        plots.append("$DATA using \(top.count + 2) lc rgb '#bbbbbb' title 'other'")
        commands.append("plot " + plots.joined(separator: ", "))
        return ChartSpec(id: "syscalls-per-op", title: "System calls per op by cell",
                         caption: "Median syscalls.<name>/op per cell; the \(top.count) most frequent syscalls, the rest as 'other'.",
                         width: 900, height: 460, commands: commands, data: data)
    }

    static func perCellBars(_ digest: RunDigest, unit: String, title: String) -> ChartSpec? {
        let cells = digest.okCells.filter { $0.summaries[unit] != nil }
        guard !cells.isEmpty else { return nil }
        var data = ""
        var allCI = true
        var oneSided = false
        for (i, c) in cells.enumerated() {
            guard let s = c.summaries[unit] else { continue }
            let w = whiskers(s, values: c.values[unit] ?? [])
            allCI = allCI && w.isCI
            oneSided = oneSided || (w.lo == s.center && w.hi > s.center)
            data += "\(i) \(ChartSpec.num(s.center)) \(ChartSpec.num(w.lo)) \(ChartSpec.num(w.hi))\n"
        }
        let interval = whiskerName(allCI: allCI)
        var commands = ["set title \(ChartSpec.quote("\(title) (\(unit))"))",
                        "set xlabel \(ChartSpec.quote(digest.parameterNames.joined(separator: "/")))",
                        "set ylabel \(ChartSpec.quote(unit))", "set yrange [0:*]",
                        "set style fill solid 0.75 border -1", "set boxwidth 0.6 absolute"]
        commands += ChartSpec.xtics(cells.map(\.shortLabel), rotate: cells.count > 4)
        commands.append("plot $DATA using 1:2 with boxes lt 1 title \(ChartSpec.quote(unit)), $DATA using 1:2:3:4 with yerrorbars lc rgb '#333333' pt -1 notitle")
        return ChartSpec(id: "per-cell-\(ChartSpec.slug(unit))", title: "\(title) (\(unit))",
                         caption: "Median per op, counted by the allocation probe; whiskers: \(interval)"
                            + (oneSided ? ". A whisker only above a bar: the lowest count is the median, a few repetitions counted more." : "."),
                         width: 900, height: 420, commands: commands, data: data)
    }

    /// One latency chart per cell. Every chart on the page uses one unit (the one that suits the largest
    /// median), and cells of one workload kind and loop (closed-loop flood or fixed rate) share a y range,
    /// so panels that sit side by side compare at a glance; a flood's queueing latency does not squash a
    /// rate-limited cell's range.
    static func latencySpectra(_ digest: RunDigest, baseline: RunDigest?) -> [ChartSpec] {
        // Each cell with its index among the run's cells, which names its chart.
        let numbered = digest.okCells.enumerated().filter { $0.element.spectrum != nil }
        let cells = numbered.map(\.element)
        let curves = cells.map { c in
            (c.spectrum!.curve(), baseline?.cell(named: c.name)?.spectrum?.curve() ?? [])
        }
        // The unit that suits the largest median: 0.2 ms beside 600 ms reads better than 600,000 µs.
        let medians = curves.compactMap { $0.0.first?.value }
        let scale = MetricFormat.scale(for: [medians.max() ?? 1], unit: "p99-ns")
        func group(_ c: CellDigest) -> String { "\(c.workloadKind ?? "")|\(c.offeredRate == nil ? "flood" : "rate")" }
        var ranges: [String: (lo: Double, hi: Double)] = [:]
        for (c, (curve, base)) in zip(cells, curves) {
            let values = (curve + base).map(\.value).filter { $0 > 0 }
            guard let lo = values.min(), let hi = values.max() else { continue }
            let old = ranges[group(c)] ?? (lo, hi)
            ranges[group(c)] = (min(old.lo, lo), max(old.hi, hi))
        }
        let shared = Dictionary(grouping: cells, by: group).mapValues(\.count)
        var charts: [ChartSpec] = []
        for ((n, c), (curve, baseCurve)) in zip(numbered, curves) {
            guard let spectrum = c.spectrum else { continue }
            let base = baseline?.cell(named: c.name)?.spectrum
            var data = curve.map { "\(ChartSpec.num($0.nines)) \(ChartSpec.num($0.value / scale.factor))" }.joined(separator: "\n") + "\n\n\n"
            data += baseCurve.map { "\(ChartSpec.num($0.nines)) \(ChartSpec.num($0.value / scale.factor))" }.joined(separator: "\n") + "\n"
            let maxNines = max(spectrum.maxNines, base?.maxNines ?? 0)
            let ticks = [("50%", log10(2.0)), ("90%", 1.0), ("99%", 2.0), ("99.9%", 3.0), ("99.99%", 4.0), ("99.999%", 5.0), ("99.9999%", 6.0)]
                .filter { $0.1 <= maxNines + 0.01 }
                .map { "\(ChartSpec.ticLabel($0.0)) \(ChartSpec.num($0.1))" }.joined(separator: ", ")
            var commands = ["set title \(ChartSpec.quote("Latency by percentile: \(c.label)"))",
                            "set xlabel 'percentile (log scale of nines)'", "set ylabel \(ChartSpec.quote("latency (\(scale.suffix))"))",
                            "set xtics (\(ticks))", "set xrange [0.25:\(ChartSpec.num(min(maxNines, 6) + 0.05))]",
                            "set logscale y", "set key inside left top"]
            if let r = ranges[group(c)] {
                let lo = r.lo / scale.factor / 1.3, hi = r.hi / scale.factor * 1.3
                commands.append("set yrange [\(ChartSpec.num(lo)):\(ChartSpec.num(hi))]")
                commands.append(ChartSpec.logTics(from: lo, to: hi))
            }
            // The baseline first, wide and light, so this run's line stays visible on top of it.
            var plot = "plot "
            if !baseCurve.isEmpty { plot += "$DATA index 1 using 1:2 with lines lc rgb '#b0b0b0' lw 5 title 'baseline', " }
            plot += "$DATA index 0 using 1:2 with lines lt 1 title 'this run'"
            commands.append(plot)
            let peers = (shared[group(c)] ?? 1) - 1
            let loop = c.offeredRate == nil ? "closed-loop" : "fixed-rate"
            let axisNote = peers > 0
                ? " Same y axis as the \(peers) other \(loop) \(c.workloadKind ?? "") cell\(peers == 1 ? "" : "s")."
                : ""
            charts.append(ChartSpec(id: "latency-\(n)-\(ChartSpec.slug(c.shortLabel))", title: "Latency by percentile: \(c.label)",
                                    caption: "Merged HdrHistogram of \(c.values.values.first?.count ?? 0) repetitions, "
                                        + "\(spectrum.total) recorded latencies, in \(scale.suffix) like every latency chart here."
                                        + axisNote,
                                    width: 560, height: 340, commands: commands, data: data))
        }
        return charts
    }
}
