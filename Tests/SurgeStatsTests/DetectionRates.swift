import Foundation
import SurgeStats

/// Issue 21's table measured: each case's synthetic histories (60 daily runs, `SyntheticSeries`)
/// through `ChangeDetector` at a 5% threshold, counted over a range of seeds. The tests assert
/// bounds on these counts for their seeds; `ChangeDetectionTests.testPrintTheDetectionTable`
/// prints the table (SURGE_DETECTION_TABLE=SEEDS) so it can be measured again on fresh seeds.
struct DetectionRates {
    /// What happened on one case over its seeds (a count of seeds unless said otherwise).
    struct Row {
        var name: String
        var seeds: Int
        var counts: [(String, Int)]
    }

    static let threshold = 0.05
    let detector: ChangeDetector

    func analyze(_ xs: [Double]) -> ChangeDetector.Analysis {
        detector.analyze(xs, days: SyntheticSeries.days(xs.count), threshold: Self.threshold)
    }

    /// A step to `level` at run 40: seeds where it is reported (a step finding in the right
    /// direction), dated within ±1 run, whose 95% run range holds run 40, and with anything else
    /// reported.
    func step(_ level: Double, seeds: Range<UInt64>) -> Row {
        var found = 0, dated = 0, covered = 0, other = 0
        for seed in seeds {
            let a = analyze(SyntheticSeries.medians(seed: seed, level: { $0 >= 40 ? level : 1 }))
            let steps = a.findings.filter { $0.kind == .step && ($0.shift.estimate < 0) == (level < 1) }
            if a.findings.count > steps.count || steps.count > 1 { other += 1 }
            guard let s = steps.min(by: { abs($0.index - 40) < abs($1.index - 40) }) else { continue }
            found += 1
            if abs(s.index - 40) <= 1 { dated += 1 }
            if s.location.contains(40) { covered += 1 }
        }
        let name = "\(Int(((level - 1) * 100).rounded()))% step at run 40, 3% noise"
        return Row(name: name, seeds: seeds.count,
                   counts: [("found", found), ("within ±1 run", dated), ("range holds 40", covered), ("other findings", other)])
    }

    /// No change: seeds with any finding.
    func unchanged(seeds: Range<UInt64>) -> Row {
        let flagged = seeds.filter { !analyze(SyntheticSeries.medians(seed: $0, level: { _ in 1 })).findings.isEmpty }.count
        return Row(name: "no change", seeds: seeds.count, counts: [("with a false finding", flagged)])
    }

    /// One run (30) 30% low: seeds with a finding, and where run 30 alone is the outlier set aside.
    func outlier(seeds: Range<UInt64>) -> Row {
        var flagged = 0, marked = 0
        for seed in seeds {
            var xs = SyntheticSeries.medians(seed: seed, level: { _ in 1 })
            xs[30] *= 0.7
            let a = analyze(xs)
            if !a.findings.isEmpty { flagged += 1 }
            if a.outliers == [30] { marked += 1 }
        }
        return Row(name: "one run 30% low (outlier)", seeds: seeds.count,
                   counts: [("with a false finding", flagged), ("only run 30 set aside", marked)])
    }

    /// −0.2%/day: seeds reported as one drift and nothing else, and whose slope interval holds the truth.
    func drift(seeds: Range<UInt64>) -> Row {
        var drifts = 0, covered = 0, steps = 0
        let perWeek = exp(-0.002 * 7) - 1
        for seed in seeds {
            let a = analyze(SyntheticSeries.medians(seed: seed, level: { exp(-0.002 * Double($0)) }))
            if a.findings.contains(where: { $0.kind == .step }) { steps += 1 }
            guard a.findings.count == 1, let d = a.findings.first, d.kind == .drift, let w = d.perWeek else { continue }
            drifts += 1
            if w.lower <= perWeek && perWeek <= w.upper { covered += 1 }
        }
        return Row(name: "−0.2%/day drift (−11% over the window)", seeds: seeds.count,
                   counts: [("reported as one drift", drifts), ("slope interval holds −1.39%/week", covered), ("with a step", steps)])
    }

    /// Spread 2% → 8% at run 40, same median: seeds with a spread finding, within ±2 runs, and with a false step.
    func spread(seeds: Range<UInt64>) -> Row {
        var spreads = 0, near = 0, steps = 0
        for seed in seeds {
            let a = analyze(SyntheticSeries.medians(seed: seed, level: { _ in 1 }, noise: { $0 >= 40 ? 0.08 : 0.02 }))
            if let s = a.findings.filter({ $0.kind == .spread }).min(by: { abs($0.index - 40) < abs($1.index - 40) }) {
                spreads += 1
                if abs(s.index - 40) <= 2 { near += 1 }
            }
            if a.findings.contains(where: { $0.kind != .spread }) { steps += 1 }
        }
        return Row(name: "spread 2% → 8% at run 40, same median", seeds: seeds.count,
                   counts: [("spread reported", spreads), ("within ±2 runs", near), ("with a step or drift", steps)])
    }

    /// Where each case's seeds start in the tests (`ChangeDetectionTests`), in `table`'s order.
    static let testSeeds: [UInt64] = [0, 1000, 2000, 3000, 4000, 5000]
    /// Fresh seeds: no test uses them.
    static let freshSeeds: [UInt64] = (1...6).map { 1_000_000 * UInt64($0) }

    /// Every case, `count` seeds each from its start in `starts` on (the unchanged case 8 ×
    /// `count`: each history of the issue had seven unchanged control cells).
    func table(starts: [UInt64], count: UInt64) -> [Row] {
        let s = { (k: Int, n: UInt64) in starts[k]..<(starts[k] + n) }
        return [step(0.95, seeds: s(0, count)), step(0.93, seeds: s(1, count)), unchanged(seeds: s(2, 8 * count)),
                outlier(seeds: s(3, count)), drift(seeds: s(4, count)), spread(seeds: s(5, count))]
    }

    static func markdown(_ rows: [Row]) -> String {
        var out = "| history (truth) | seeds | Surge |\n|---|---:|---|\n"
        for r in rows {
            out += "| \(r.name) | \(r.seeds) | \(r.counts.map { "\($0.0) \($0.1)/\(r.seeds)" }.joined(separator: ", ")) |\n"
        }
        return out
    }
}
