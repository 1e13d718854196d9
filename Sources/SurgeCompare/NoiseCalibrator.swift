import Foundation
import SurgeResults
import SurgeStats

/// Turns A/A runs of one build (the same scenario run N times) into a `Calibration`: per cell and
/// metric, how far identical runs move and the smallest change the gate's U test can see.
///
/// - noise: `max/min − 1` over the runs' medians (the largest A/A change seen).
/// - detectable: the smallest relative shift δ for which Mann-Whitney U calls one run's samples and
///   the same samples scaled by `1 + δ` significant at alpha, median over the runs (nil when the
///   repetitions are too few for any shift to be significant).
/// - threshold (metrics that gate only: the cell's key metrics and those the scenario names):
///   the largest of `detectable`, `1.25 × noise`, and `exp(2.576·√2·σ) − 1`, where σ is the
///   standard deviation of the runs' log medians (99% of A/A pairs stay inside if the noise is
///   lognormal), rounded up to 0.5% and at least 1%.
public enum NoiseCalibrator {
    public static let methodText =
        "threshold = max(detectable, 1.25 x noise, exp(2.576*sqrt(2)*sd(log run medians)) - 1), rounded up to 0.5%, at least 1%"

    /// Throws when the runs' scenario thresholds or key metrics cannot be read.
    public static func calibrate(runs: [RunResult], runFiles: [String], alpha: Double = 0.05, now: Date = Date())
        throws(CompareInputError) -> Calibration
    {
        guard let first = runs.first else {
            return Calibration(
                scenario: "", scenarioSHA256: "", host: "", createdAt: "", runs: 0, repetitions: 0, alpha: alpha,
                method: methodText, runFiles: runFiles, cells: [:])
        }
        // What gates is what `surge compare` would gate: the same gate, without a calibration.
        let settings = try RegressionGate.settings(from: [first])
        let gate = RegressionGate(scenario: settings.scenario, keyMetrics: settings.keyMetrics)
        var cells: [String: [String: Calibration.Entry]] = [:]
        var repetitions = 0
        for cell in first.cells where cell.status == .ok {
            let row = RunResultRecords.benchmarkName(cell)
            // Per run: the metric's values in this cell.
            var perRun: [[String: [Double]]] = []
            for run in runs {
                guard let c = run.cells.first(where: { RunResultRecords.benchmarkName($0) == row }), c.status == .ok
                else { continue }
                var values: [String: [Double]] = [:]
                for sample in c.samples {
                    for (name, v) in sample.metrics where v.isFinite { values[name, default: []].append(v) }
                }
                perRun.append(values)
                repetitions = max(repetitions, c.samples.filter { $0.pass == "speed" }.count)
            }
            guard perRun.count >= 2 else { continue }
            let names = Set(perRun.flatMap(\.keys))
            for name in names.sorted() {
                let metric = Metric.named(name, siblings: names)
                guard metric.metricClass == .statistical, metric.derivedFrom == nil else { continue }
                let samples = perRun.compactMap { $0[name] }.filter { !$0.isEmpty }
                guard samples.count >= 2 else { continue }
                let gated = gate.threshold(row: row, metric: metric) != nil
                if let entry = entry(samples, alpha: alpha, gated: gated) { cells[row, default: [:]][name] = entry }
            }
        }
        let formatter = ISO8601DateFormatter()
        return Calibration(
            scenario: first.scenario.name, scenarioSHA256: first.scenario.sha256, host: first.host.fingerprint,
            createdAt: formatter.string(from: now), runs: runs.count, repetitions: repetitions, alpha: alpha,
            method: methodText, runFiles: runFiles, cells: cells)
    }

    /// Noise, detectable change and (when `gated`) the suggested threshold of one cell's metric.
    static func entry(_ runs: [[Double]], alpha: Double, gated: Bool) -> Calibration.Entry? {
        let medians = runs.map { Self.median($0) }
        guard let lo = medians.min(), let hi = medians.max(), lo > 0 else {
            // Zero or negative levels have no relative noise; say nothing rather than something wrong.
            return nil
        }
        let noise = hi / lo - 1
        let detectables = runs.compactMap { detectableShift($0, alpha: alpha) }.sorted()
        let detectable = detectables.isEmpty ? nil : detectables[detectables.count / 2]
        var threshold: Double?
        if gated {
            let logs = medians.map { Foundation.log($0) }
            let mean = logs.reduce(0, +) / Double(logs.count)
            let sd = (logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, logs.count - 1))).squareRoot()
            let lognormal = Foundation.exp(2.576 * 2.0.squareRoot() * sd) - 1
            let raw = max(detectable ?? 0, 1.25 * noise, lognormal, 0.01)
            threshold = (raw * 200).rounded(.up) / 200
        }
        return Calibration.Entry(noise: noise, detectable: detectable, threshold: threshold)
    }

    /// The smallest δ (to 0.1%) for which `values` against `values × (1 + δ)` is significant at alpha.
    static func detectableShift(_ values: [Double], alpha: Double) -> Double? {
        let sorted = values.sorted()
        guard sorted.count >= 2, sorted.allSatisfy({ $0 > 0 }) else { return nil }
        func significant(_ delta: Double) -> Bool {
            let shifted = sorted.map { $0 * (1 + delta) }
            guard let test = try? MannWhitneyU(sorted: sorted, shifted) else { return false }
            return test.p <= alpha
        }
        var hi = 1.0
        while !significant(hi) {
            hi *= 2
            if hi > 1024 { return nil }
        }
        var lo = 0.0
        while hi - lo > 0.001 {
            let mid = (lo + hi) / 2
            if significant(mid) { hi = mid } else { lo = mid }
        }
        return hi
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
