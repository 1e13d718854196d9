import Foundation
import SurgeCompare
import SurgeResults
import SurgeStats

/// The comparison of a `surge ab` as text (standard output) and markdown: per cell and gated
/// metric the change B/A − 1 with its interval, p, rounds and the gate's verdict; the order the
/// rounds ran in and the process ids of each round, so the pairing can be checked.
public struct ABReport: Sendable {
    public var comparison: ABComparison
    public var a: RunResult
    public var b: RunResult
    public var aPath: String
    public var bPath: String
    /// Set by `--until-decided`: why the rounds stopped.
    public var stopReason: String?
    /// Differential profiles of the cells both sides profiled (`attachProfileDiffs`).
    public var profileDiffs: [CellProfileDiff] = []

    public init(
        comparison: ABComparison, a: RunResult, b: RunResult, aPath: String, bPath: String, stopReason: String? = nil
    ) {
        self.comparison = comparison
        self.a = a
        self.b = b
        self.aPath = aPath
        self.bPath = bPath
        self.stopReason = stopReason
    }

    /// The metrics shown: every gated one, and any other whose change was significant.
    public var shown: [ABMetricComparison] {
        comparison.entries.filter {
            $0.finding.isGated || ($0.finding.significant && $0.finding.role == .informational)
        }
    }

    var confidenceText: String { GoFloatFormat.shortest(comparison.confidence * 100) + "%" }

    public var header: [String] {
        let record = a.ab
        var lines = ["surge ab: \(a.scenario.file)  A = \(record?.a ?? a.runID)  B = \(record?.b ?? b.runID)"]
        if let record {
            let order = record.order == "random" ? "random (seed \(record.seed.map(String.init) ?? "?"))" : "ABBA"
            let rounds = record.rounds.values.map(\.count).max() ?? 0
            lines.append("order \(order), \(rounds) rounds, a freshly started target for every visit")
        }
        if let commits = record?.commits, !commits.isEmpty {
            lines.append(
                "commits: "
                    + commits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.prefix(12))" }.joined(
                        separator: ", "))
        }
        lines.append("A: \(aPath)")
        lines.append("B: \(bPath)")
        lines.append("method: \(PairedRatio.methodText); \(confidenceText) interval")
        return lines
    }

    public func rows() -> [[String]] {
        var rows: [[String]] = [
            ["cell", "metric", "A median", "B/A", "\(confidenceText) interval", "p", "rounds", "verdict"]
        ]
        for e in shown {
            let f = e.finding
            let change = e.paired.map { Self.percent($0.ratio - 1) } ?? "n/a"
            let interval =
                e.paired.map { p in
                    p.isBounded ? "[\(Self.percent(p.lower - 1)), \(Self.percent(p.upper - 1))]" : "unbounded"
                } ?? "n/a"
            let p = e.paired.map { GoFloatFormat.fixed($0.p, 3) } ?? "-"
            rows.append([
                e.row, e.metric, Self.number(RobustStatistics.median(e.a)), change, interval, p, "\(e.a.count)",
                Self.verdictText(f, band: e.band),
            ])
        }
        return rows
    }

    static func verdictText(_ f: GateFinding, band: PairedRatio.Band?) -> String {
        let limit = f.threshold.map { GoFloatFormat.shortest(($0 * 1000).rounded() / 10) + "%" } ?? ""
        switch f.role {
        case .notComparable(let why): return "not comparable (\(why))"
        case .derived(let source): return "derived from \(source)"
        case .informational: return f.significant ? "changed (informational)" : "~"
        case .gated: break
        }
        let source = f.thresholdSource?.rawValue ?? ""
        var text: String
        switch f.verdict {
        case .regression: text = "REGRESSION (> \(limit) \(source))"
        case .improvement: text = "improvement (> \(limit) \(source))"
        case .withinThreshold: text = "within \(limit)"
        case .unchanged: text = "~ (\(limit) \(source))"
        }
        if band == .straddling { text += ", undecided" }
        return text
    }

    /// Per cell: each round's order and the target's process ids on each side.
    public func roundLines() -> [String] {
        var lines: [String] = []
        for cell in a.cells {
            guard let other = b.cells.first(where: { $0.name == cell.name }) else { continue }
            let orders = a.ab?.rounds[cell.name] ?? []
            let pidsA = Dictionary(cell.samples.map { ($0.repetition, $0.processIDs ?? []) }) { x, _ in x }
            let pidsB = Dictionary(other.samples.map { ($0.repetition, $0.processIDs ?? []) }) { x, _ in x }
            let parts = orders.enumerated().map { i, order in
                let r = i + 1
                let pa = pidsA[r].map { $0.map(String.init).joined(separator: "+") } ?? "-"
                let pb = pidsB[r].map { $0.map(String.init).joined(separator: "+") } ?? "-"
                return "\(order) A:\(pa) B:\(pb)"
            }
            lines.append("\(RunResultRecords.benchmarkName(cell)): " + parts.joined(separator: ", "))
        }
        return lines
    }

    public func text() -> String {
        var out = header.joined(separator: "\n") + "\n\n"
        out += Self.layout(rows(), rightAligned: [2, 3, 5, 6]) + "\n"
        out += ProfileDiffs.text(profileDiffs)
        out += "\nrounds (order, target pids):\n" + roundLines().map { "  " + $0 + "\n" }.joined()
        for w in comparison.warnings { out += "warning: \(w)\n" }
        if let stopReason { out += "rounds: \(stopReason)\n" }
        out += comparison.verdict + "\n"
        return out
    }

    public func markdown(charts: [String: String] = [:]) -> String {
        var out = "# surge ab: \(a.scenario.name)\n\n"
        out += header.map { "- \(Self.escape($0))\n" }.joined() + "\n"
        let rows = self.rows()
        out += "| " + rows[0].joined(separator: " | ") + " |\n"
        out += "|" + rows[0].indices.map { [2, 3, 5, 6].contains($0) ? " ---: |" : " --- |" }.joined() + "\n"
        for row in rows.dropFirst() { out += "| " + row.map(Self.escape).joined(separator: " | ") + " |\n" }
        for (title, file) in charts.sorted(by: { $0.key < $1.key }) { out += "\n![\(Self.escape(title))](\(file))\n" }
        out += ProfileDiffs.markdown(profileDiffs)
        out += "\n## Rounds\n\n" + roundLines().map { "- \(Self.escape($0))\n" }.joined()
        if !comparison.warnings.isEmpty {
            out += "\n" + comparison.warnings.map { "> warning: \(Self.escape($0))\n" }.joined()
        }
        if let stopReason { out += "\nRounds: \(Self.escape(stopReason))\n" }
        out += "\n**\(Self.escape(comparison.verdict))**\n"
        return out
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func layout(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        let widths = rows[0].indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, text in
                let pad = String(repeating: " ", count: widths[i] - text.count)
                return rightAligned.contains(i) ? pad + text : (i == row.count - 1 ? text : text + pad)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    static func percent(_ change: Double) -> String { GoFloatFormat.signedFixed(change * 100, 2) + "%" }

    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        if abs(v) >= 1e6 { return GoFloatFormat.fixed(v / 1e6, 2) + "M" }
        if abs(v) >= 1e4 { return GoFloatFormat.fixed(v / 1e3, 1) + "k" }
        if abs(v) >= 100 || v == 0 { return GoFloatFormat.fixed(v, 0) }
        return String(format: "%.3g", v)
    }
}
