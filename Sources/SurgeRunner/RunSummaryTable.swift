import Foundation
import SurgeResults
import SurgeStats

/// The terminal table `surge run` prints at the end: one row per cell with the median of each
/// headline metric and its 95% confidence interval, as benchstat computes them.
public enum RunSummaryTable {
    /// Columns shown when the run has them, in this order.
    static let preferred = [
        "msgs/s", "req/s", "ns/op", "p50-ns", "p99-ns", "p99.9-ns", "syscalls/op", "allocs/op", "B/op", "cpu-ns/op",
        "syscall-ns/op",
    ]

    public static func render(_ run: RunResult) -> String {
        let present = Set(run.cells.flatMap { $0.samples.flatMap { $0.metrics.keys } })
        let columns = preferred.filter(present.contains)
        var rows: [[String]] = [["cell", "n"] + columns]
        for cell in run.cells {
            let speed = cell.samples.filter { $0.pass == "speed" }.count
            let profile = cell.samples.count - speed
            var row = [cell.name, profile > 0 ? "\(speed)+\(profile)" : "\(speed)"]
            for unit in columns {
                let values = cell.samples.compactMap { $0.metrics[unit] }
                row.append(values.isEmpty ? "-" : Self.text(Summary(values), unit: unit))
            }
            if cell.status != .ok { row[1] += cell.status == .failed ? " FAILED" : " skipped" }
            rows.append(row)
        }
        var out = layout(rows)
        for cell in run.cells where cell.status == .failed {
            out += "\nFAILED \(cell.name): \(cell.reason ?? "no reason recorded")"
            for line in (cell.targetStderr ?? []).suffix(5) { out += "\n    target stderr: \(line)" }
        }
        let hasProfile = run.cells.contains { $0.samples.contains { $0.pass == "profile" } }
        out += "\n\nmedian ±95% confidence interval (benchstat's method; an interval reaching 0 shows its ends)"
        out += "; n: repetitions"
        out += hasProfile ? " (speed+profile: costly probes ran in their own repetitions)." : "."
        return out
    }

    /// `129k ±9%`; an interval with an end at or across zero, where a percentage says nothing (benchstat
    /// prints `± ?`), as its ends: `0.00333 (0 to 0.00438)`, as the HTML report shows it.
    static func text(_ s: Summary, unit: String) -> String {
        let isDuration = unit.hasSuffix("-ns") || unit.hasSuffix("ns/op")
        func format(_ v: Double) -> String { isDuration ? duration(v) : number(v) }
        let range = s.rangeText
        guard range == "?" else { return "\(format(s.center)) ±\(range)" }
        return "\(format(s.center)) (\(format(s.lo)) to \(format(s.hi)))"
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

    /// 1.23M, 45.6k, 789, 3.14, 0.0421: three significant figures.
    static func number(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return String(format: "%.3gG", v / 1e9) }
        if a >= 1e6 { return String(format: "%.3gM", v / 1e6) }
        if a >= 1e4 { return String(format: "%.3gk", v / 1e3) }
        if a >= 1000 { return String(format: "%.0f", v) }
        if a == 0 { return "0" }
        return String(format: "%.3g", v)
    }

    static func duration(_ ns: Double) -> String {
        if ns >= 1e9 { return String(format: "%.3gs", ns / 1e9) }
        if ns >= 1e6 { return String(format: "%.3gms", ns / 1e6) }
        if ns >= 1e3 { return String(format: "%.3gµs", ns / 1e3) }
        return String(format: "%.3gns", ns)
    }
}
