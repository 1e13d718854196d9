import SurgeResults
import SurgeStats

/// A per-metric threshold: how large a significant change must be before it counts.
public struct MetricThreshold: Sendable, Equatable {
    /// Unit as the user wrote it (`msgs/s`, `ns/op`, `*` for every other metric).
    public var unit: String
    /// Fraction: 0.03 for `3%`.
    public var fraction: Double

    /// Parses `msgs/s=3%`, `allocs/op=0`, `p99-ns=0.5%`, `*=2%`.
    public static func parse(_ text: String) throws(CompareInputError) -> MetricThreshold {
        guard let eq = text.lastIndex(of: "="), eq != text.startIndex else {
            throw CompareInputError("--threshold '\(text)': expected UNIT=PERCENT, e.g. 'msgs/s=3%' or 'allocs/op=0'")
        }
        let unit = String(text[..<eq])
        let fraction = try parseAmount(String(text[text.index(after: eq)...]), context: "--threshold '\(text)'")
        return MetricThreshold(unit: unit, fraction: fraction)
    }

    /// `3%` → 0.03; `0` → 0. A bare number other than 0 is refused (is `3` three percent or 300%?).
    public static func parseAmount(_ text: String, context: String) throws(CompareInputError) -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%"), let v = Double(t.dropLast()), v >= 0, v.isFinite { return v / 100 }
        if let v = Double(t), v == 0 { return 0 }
        throw CompareInputError("\(context): threshold '\(text)' is not a percentage like '3%' (or 0)")
    }
}

/// One compared cell judged by the gate.
public struct GateFinding: Sendable {
    public enum Verdict: String, Sendable {
        case regression
        case improvement
        /// Significant but within the threshold.
        case withinThreshold = "within-threshold"
        case unchanged
    }

    public var table: Int
    public var row: String
    public var column: String
    public var unit: String
    public var direction: MetricDirection
    public var change: Double?
    public var threshold: Double
    public var p: Double
    public var significant: Bool
    public var verdict: Verdict
}

/// The CI gate on top of benchstat's numbers: a change is a **regression** only when it is
/// statistically significant (p ≤ alpha; exact metrics: any difference), larger than its metric's
/// threshold, and in the metric's bad direction (`MetricDirection`: `…/s` higher is better, costs
/// and latencies lower).
public struct RegressionGate: Sendable {
    public var thresholds: [MetricThreshold]

    public init(thresholds: [MetricThreshold]) {
        self.thresholds = thresholds
    }

    /// Thresholds a Surge result carries (`scenario.thresholds`, e.g. `"msgs/s": "3%"`).
    public static func thresholds(from run: RunResult) throws(CompareInputError) -> [MetricThreshold] {
        var out: [MetricThreshold] = []
        for (unit, text) in run.scenario.thresholds.sorted(by: { $0.key < $1.key }) {
            out.append(MetricThreshold(unit: unit, fraction: try MetricThreshold.parseAmount(text, context: "scenario \(run.scenario.name) threshold for \(unit)")))
        }
        return out
    }

    /// Threshold for a table's (tidied) unit: an exact match, else a match after tidying, else `*`, else 0.
    public func threshold(for unit: String) -> Double {
        if let t = thresholds.last(where: { $0.unit == unit }) { return t.fraction }
        if let t = thresholds.last(where: { $0.unit != "*" && BenchUnit.tidy($0.unit).unit == unit }) { return t.fraction }
        if let t = thresholds.last(where: { $0.unit == "*" }) { return t.fraction }
        return 0
    }

    public func evaluate(_ tables: ComparisonTables) -> [GateFinding] {
        var findings: [GateFinding] = []
        for (ti, table) in tables.tables.enumerated() {
            let direction = MetricDirection(unit: table.unit)
            let limit = threshold(for: table.unit)
            for (r, label) in table.rows.enumerated() {
                for (c, cell) in table.cells[r].enumerated() {
                    guard c > 0, let cell, let cmp = cell.comparison else { continue }
                    let change: Double?
                    if let rel = cmp.relativeChange {
                        change = rel
                    } else {
                        change = cmp.center > cmp.baselineCenter ? .infinity : -.infinity
                    }
                    let significant = cmp.isSignificant && cmp.center != cmp.baselineCenter
                    let bad = (direction == .lowerIsBetter) ? (change ?? 0) > 0 : (change ?? 0) < 0
                    let verdict: GateFinding.Verdict
                    if !significant {
                        verdict = .unchanged
                    } else if abs(change ?? 0) <= limit {
                        verdict = .withinThreshold
                    } else {
                        verdict = bad ? .regression : .improvement
                    }
                    findings.append(GateFinding(table: ti, row: label, column: table.columns[c].joined(separator: " "), unit: table.unit,
                                                direction: direction, change: change, threshold: limit, p: cmp.p,
                                                significant: significant, verdict: verdict))
                }
            }
        }
        return findings
    }

    /// One line: `surge compare: REGRESSION: 2 of 6 comparisons regressed (sec/op Encode/format=json-48 +17.20% > 2%, …)`.
    public static func verdictLine(_ findings: [GateFinding]) -> String {
        let regressions = findings.filter { $0.verdict == .regression }
        let improvements = findings.filter { $0.verdict == .improvement }.count
        if findings.isEmpty { return "surge compare: no comparison (nothing in a baseline column to compare with)" }
        if regressions.isEmpty {
            return "surge compare: OK: no regression in \(findings.count) comparison\(findings.count == 1 ? "" : "s") (\(improvements) improved)"
        }
        let shown = regressions.prefix(3).map { f in
            "\(f.row) \(f.unit) \(percent(f.change)) > \(GoFloatFormat.shortest(f.threshold * 100))%"
        }.joined(separator: "; ")
        let more = regressions.count > 3 ? "; …" : ""
        return "surge compare: REGRESSION: \(regressions.count) of \(findings.count) comparisons regressed (\(shown)\(more))"
    }

    static func percent(_ change: Double?) -> String {
        guard let change, change.isFinite else { return "from 0" }
        return GoFloatFormat.signedFixed(change * 100, 2) + "%"
    }
}

import Foundation
