import Foundation
import SurgeResults
import SurgeStats

/// `surge report weekly --json FILE`: the findings machine-readable, so CI can act on them
/// (schema `surge.weekly/v1`). Changes are relative (−0.05 = 5% lower); a spread change is the
/// ratio of run-to-run spreads − 1.
public struct WeeklyFindingsJSON: Codable, Sendable {
    public struct Interval: Codable, Sendable {
        public var estimate: Double
        public var lower: Double
        public var upper: Double
    }

    public struct Finding: Codable, Sendable {
        public var scenario: String
        public var host: String
        public var cell: String
        public var metric: String
        public var kind: String
        /// `regression`, `improvement` or `spread`.
        public var direction: String
        public var change: Interval
        /// Drift only: relative change per 7 days.
        public var perWeek: Interval?
        public var threshold: Double
        public var p: Double
        public var before: Double
        public var after: Double
        public var firstRunAtNewLevel: String
        public var lastRunSurelyBefore: String?
        public var firstRunSurelyAfter: String
        /// `from..to`, git's syntax: the culprit is after `from`, up to and including `to`.
        public var commitRange: String
        public var commitFrom: String?
        public var commitTo: String?
    }

    public struct WeekRow: Codable, Sendable {
        public var scenario: String
        public var host: String
        public var cell: String
        public var metric: String
        public var previousMedian: Double
        public var currentMedian: Double
        public var change: Double
        public var p: Double?
        public var previousRuns: Int
        public var currentRuns: Int
        /// `regression`, `improvement` or `none`.
        public var verdict: String
    }

    public var schema = "surge.weekly/v1"
    public var weekEnding: Date
    public var method: String
    public var regressions: Int
    public var findings: [Finding]
    public var weekOverWeek: [WeekRow]

    public init(_ report: WeeklyReport) {
        weekEnding = report.now
        method = report.detector.methodDescription
        regressions = report.regressions.count
        findings = report.findings.map { f in
            func interval(_ s: ShiftEstimate) -> Interval { Interval(estimate: s.estimate, lower: s.lower, upper: s.upper) }
            return Finding(scenario: f.scenario, host: f.fingerprint, cell: f.cell, metric: f.unit, kind: f.kind.rawValue,
                           direction: f.kind == .spread ? "spread" : (f.isRegression ? "regression" : "improvement"),
                           change: interval(f.change.shift), perWeek: f.change.perWeek.map(interval), threshold: f.threshold,
                           p: f.change.p, before: f.change.before, after: f.change.after, firstRunAtNewLevel: f.firstAtNewLevel.runID,
                           lastRunSurelyBefore: f.lastSurelyBefore?.runID, firstRunSurelyAfter: f.firstSurelyAfter.runID,
                           commitRange: f.commitRange, commitFrom: f.lastSurelyBefore?.source?.commit,
                           commitTo: f.firstSurelyAfter.source?.commit)
        }
        weekOverWeek = report.series.flatMap { s in
            (s.weekOverWeek?.rows ?? []).map { r in
                WeekRow(scenario: s.scenario, host: s.fingerprint, cell: r.cell, metric: r.unit, previousMedian: r.previousMedian,
                        currentMedian: r.currentMedian, change: r.delta, p: r.p, previousRuns: r.previous.count,
                        currentRuns: r.current.count, verdict: r.isRegression ? "regression" : (r.isChange ? "improvement" : "none"))
            }
        }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}
