import Foundation
import SurgeResults

/// The terminal table `surge run` prints at the end: one row per cell with the median of each
/// headline metric and its spread over the repetitions.
public enum RunSummaryTable {
    /// Columns shown when the run has them, in this order.
    static let preferred = ["msgs/s", "req/s", "ns/op", "p50-ns", "p99-ns", "p99.9-ns", "syscalls/op", "allocs/op", "cpu-ns/op"]

    public static func render(_ run: RunResult) -> String {
        let present = Set(run.cells.flatMap { $0.samples.flatMap { $0.metrics.keys } })
        let columns = preferred.filter(present.contains)
        var rows: [[String]] = [["cell", "n"] + columns]
        for cell in run.cells {
            var row = [cell.name, "\(cell.samples.count)"]
            for unit in columns {
                let values = cell.samples.compactMap { $0.metrics[unit] }
                row.append(values.isEmpty ? "-" : MedianSpread(values).text(unit: unit))
            }
            if cell.status != .ok { row[1] += cell.status == .failed ? " FAILED" : " skipped" }
            rows.append(row)
        }
        var out = layout(rows)
        let failed = run.cells.filter { $0.status == .failed }
        for cell in failed {
            out += "\nFAILED \(cell.name): \(cell.reason ?? "no reason recorded")"
            for line in (cell.targetStderr ?? []).suffix(5) { out += "\n    target stderr: \(line)" }
        }
        out += "\n\n±: half the range of the repetitions as a percentage of the median; n: repetitions measured."
        return out
    }

    static func layout(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.enumerated().map { i, row in
            let line = row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
            return i == 0 ? line + "\n" + String(repeating: "─", count: line.count) : line
        }.joined(separator: "\n")
    }
}

/// Median of a few repetitions and their spread.
struct MedianSpread {
    var median: Double
    var spreadPercent: Double

    init(_ values: [Double]) {
        let s = values.sorted()
        median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        spreadPercent = median == 0 ? 0 : (s.last! - s.first!) / 2 / abs(median) * 100
    }

    func text(unit: String) -> String {
        let value: String
        if unit.hasSuffix("-ns") || unit == "ns/op" || unit == "cpu-ns/op" {
            value = Self.duration(median)
        } else {
            value = ProgressDisplay.si(median)
        }
        return "\(value) ±\(spreadPercent < 10 ? String(format: "%.1f", spreadPercent) : String(format: "%.0f", spreadPercent))%"
    }

    static func duration(_ ns: Double) -> String {
        if ns >= 1e9 { return String(format: "%.2fs", ns / 1e9) }
        if ns >= 1e6 { return String(format: "%.2fms", ns / 1e6) }
        if ns >= 1e3 { return String(format: "%.1fµs", ns / 1e3) }
        return String(format: "%.0fns", ns)
    }
}
