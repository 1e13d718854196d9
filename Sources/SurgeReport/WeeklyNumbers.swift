import SurgeResults

/// The weekly page's numbers in the run report's format (`ColumnScale`): rates with three significant
/// digits and an SI prefix (`993k`, `1.93M`), plain counts, and one unit per duration or byte metric
/// across the page, fitted to every level the page shows for it.
struct WeeklyNumbers {
    private var scales: [String: ColumnScale] = [:]

    init(_ report: WeeklyReport) {
        var values: [String: [Double]] = [:]
        for row in report.series.flatMap({ $0.weekOverWeek?.rows ?? [] }) {
            values[row.unit, default: []] += [row.previousMedian, row.currentMedian]
        }
        for f in report.findings { values[f.unit, default: []] += [f.change.before, f.change.after] }
        for (unit, v) in values { scales[unit] = ColumnScale(metric: unit, values: v) }
    }

    /// `993k`, `1.93M`, `512 µs`, `3.2 KiB`: the number, with its unit where the metric's name does not
    /// give it (durations and bytes).
    func text(_ value: Double, unit: String) -> String {
        let scale = scales[unit] ?? ColumnScale(metric: unit, values: [value])
        return scale.headUnit.isEmpty ? scale.number(value) : "\(scale.number(value)) \(scale.headUnit)"
    }
}
