import Foundation

/// Changes in a series, found by binary segmentation and kept by a permutation test; a change of
/// level (`.mean`) or of spread (`.variance`, on residuals whose level is already removed).
///
/// The test statistic of a segment is the largest Gaussian log-likelihood ratio of one change in
/// it, with at least `minimumSegment` values on each side: for a level, the between-part sum of
/// squares `t(n−t)/n · (mean₁ − mean₂)²`; for a spread, `n ln(S/n) − t ln(S₁/t) − (n−t) ln(S₂/(n−t))`
/// on the sums of squares. A level's ratio is divided by the noise from successive differences
/// (half their mean square), which the step itself barely moves. Its p-value is the share of
/// `permutations` seeded shuffles of the segment (`.gaussian`: Gaussian series of its length)
/// whose statistic is as strong (the test stops as soon as the answer is above alpha).
/// Where the change lies is read from the posterior of its position (one change, flat priors,
/// Gaussian noise with the scale integrated out): the run is the centre of the three
/// neighbouring positions that hold the most posterior mass, and its 95% range the 2.5% and
/// 97.5% posterior quantiles. Each accepted split divides the segment and both parts are
/// searched again; then every split is placed again between its neighbours and tested on that
/// stretch, and the weakest is dropped until all pass (pieces of one change do not survive on
/// their own).
struct StepSegmentation: Sendable {
    enum Statistic: Sendable { case mean, variance }

    var alpha: Double
    var minimumSegment: Int
    var permutations: Int
    var seed: UInt64
    var statistic: Statistic = .mean
    /// How the null distribution of the statistic is drawn: shuffles of the segment, or (for a
    /// spread) independent Gaussian series of its length. A shuffle of a series whose spread
    /// changed mixes two scales into heavy tails that the variance ratio then finds everywhere;
    /// the Gaussian null is the model the ratio assumes (log values, lognormal noise).
    var null: Null = .permutation

    enum Null: Sendable { case permutation, gaussian }

    /// A split: `index` is the first value of the new level.
    struct Split: Sendable, Equatable {
        var index: Int
        var p: Double
    }

    func splits(_ y: [Double]) -> [Split] {
        let n = y.count
        var found: [Int] = []
        var pending = [(0, n)]
        while let (a, b) = pending.popLast() {
            guard b - a >= 2 * minimumSegment, let s = test(y, a, b), s.p <= alpha else { continue }
            found.append(s.index)
            pending.append((a, s.index))
            pending.append((s.index, b))
        }
        var result: [Split] = []
        for _ in 0..<12 {
            found.sort()
            let bounds = [0] + found + [n]
            var moved = false
            result = []
            for k in found.indices {
                guard let s = test(y, bounds[k], bounds[k + 2]) else { continue }
                if s.index != found[k] { moved = true }
                result.append(s)
            }
            if let weakest = result.indices.max(by: { result[$0].p < result[$1].p }), result[weakest].p > alpha {
                result.remove(at: weakest)
                found = result.map(\.index)
                continue
            }
            found = result.map(\.index)
            if !moved { break }
        }
        return result.sorted { $0.index < $1.index }
    }

    /// The change in `y[a..<b]`: where the posterior puts it, and the permutation p-value of the
    /// segment's best split.
    func test(_ y: [Double], _ a: Int, _ b: Int) -> Split? {
        let part = Array(y[a..<b])
        guard let stat = strength(part), stat > 0,
              let place = Self.locate(part, minimumSegment: minimumSegment, statistic) else { return nil }
        return Split(index: a + place.index, p: permutationP(part, stat: stat, salt: UInt64(a &* 7919 &+ b)))
    }

    /// The test statistic of `v`: its best split's likelihood ratio; for a level, divided by the
    /// noise from successive differences (half their mean square), which a step barely moves
    /// while a shuffle spreads the step over every difference. (Dividing by the total spread, as
    /// the plain ratio under a permutation does, counts the step itself as noise.)
    func strength(_ v: [Double]) -> Double? {
        guard let (_, stat) = Self.bestSplit(v, minimumSegment: minimumSegment, statistic) else { return nil }
        guard statistic == .mean, v.count >= 2 else { return stat }
        var squares = 0.0
        for i in 1..<v.count { squares += (v[i] - v[i - 1]) * (v[i] - v[i - 1]) }
        let noise = squares / Double(2 * (v.count - 1))
        return noise > 0 ? stat / noise : stat
    }

    /// The log-likelihood ratio of one change after the first `t` of `n` values, from the prefix
    /// sum `s` (mean) or prefix sum of squares (variance) and the total.
    @inline(__always)
    static func ratio(_ s: Double, _ total: Double, _ t: Int, _ n: Int, _ statistic: Statistic) -> Double {
        let t1 = Double(t), t2 = Double(n - t)
        switch statistic {
        case .mean:
            let d = s / t1 - (total - s) / t2
            return d * d * t1 * t2 / Double(n)
        case .variance:
            // Mean squares floored at `resolution`²: residuals at rounding level (a series of
            // identical runs) carry no spread to compare, so their ratio is 0, not a huge number.
            let floor = resolution * resolution
            return Double(n) * log(max(total / Double(n), floor)) - t1 * log(max(s / t1, floor))
                - t2 * log(max((total - s) / t2, floor))
        }
    }

    /// The smallest spread the variance statistic tells apart from none: 1e-9 (on logarithms, a
    /// relative 1e-9, far under any benchmark's noise and far over rounding errors).
    static let resolution = 1e-9

    /// (t, statistic): the size of the first part of the strongest split and its statistic.
    static func bestSplit(_ v: [Double], minimumSegment m: Int, _ statistic: Statistic = .mean) -> (Int, Double)? {
        let n = v.count
        guard n >= 2 * m, m >= 1 else { return nil }
        var total = 0.0
        for x in v { total += statistic == .mean ? x : x * x }
        var s = 0.0
        for i in 0..<(m - 1) { s += statistic == .mean ? v[i] : v[i] * v[i] }
        var best = (0, -Double.infinity)
        for t in m...(n - m) {
            s += statistic == .mean ? v[t - 1] : v[t - 1] * v[t - 1]
            let stat = ratio(s, total, t, n, statistic)
            if stat > best.1 { best = (t, stat) }
        }
        return best
    }

    /// The posterior of the position of one change in `v` (index 0: t = m), normalised.
    static func posterior(_ v: [Double], minimumSegment m: Int, _ statistic: Statistic) -> [Double] {
        let n = v.count
        guard n >= 2 * m, m >= 1 else { return [] }
        var total = 0.0, squares = 0.0
        for x in v {
            total += x
            squares += x * x
        }
        let mean = total / Double(n)
        let tss = max(squares - Double(n) * mean * mean, 0)
        var s = 0.0
        for i in 0..<(m - 1) { s += statistic == .mean ? v[i] : v[i] * v[i] }
        var logs: [Double] = []
        logs.reserveCapacity(n - 2 * m + 1)
        for t in m...(n - m) {
            s += statistic == .mean ? v[t - 1] : v[t - 1] * v[t - 1]
            switch statistic {
            case .mean:
                // Levels integrated out (flat), then σ (Jeffreys): RSS^−(n−2)/2 / √(t(n−t)).
                let rss = max(tss - ratio(s, total, t, n, .mean), tss * 1e-12 + 1e-300)
                logs.append(-0.5 * log(Double(t) * Double(n - t)) - 0.5 * Double(n - 2) * log(rss))
            case .variance:
                logs.append(0.5 * ratio(s, squares, t, n, .variance))
            }
        }
        let top = logs.max() ?? 0
        let weights = logs.map { exp($0 - top) }
        let sum = weights.reduce(0, +)
        return weights.map { $0 / sum }
    }

    /// Where one change in `v` lies: the first value of the new part (the centre of the three
    /// positions with the most posterior mass, which makes a date within ±1 run likeliest) and
    /// the 95% posterior range, all as offsets in `v`.
    static func locate(_ v: [Double], minimumSegment m: Int, _ statistic: Statistic)
        -> (index: Int, range: ClosedRange<Int>)? {
        let p = posterior(v, minimumSegment: m, statistic)
        guard !p.isEmpty else { return nil }
        // Ties (all the mass on one position puts it in three windows) go to the window whose
        // centre holds the most.
        var best = 0, bestMass = -1.0
        for i in p.indices {
            let mass = p[i] + (i > 0 ? p[i - 1] : 0) + (i + 1 < p.count ? p[i + 1] : 0)
            let tie = abs(mass - bestMass) <= 1e-9 * max(mass, bestMass)
            if tie ? p[i] > p[best] : mass > bestMass { (best, bestMass) = (i, max(mass, bestMass)) }
        }
        var cumulative = 0.0, lo = 0, hi = p.count - 1
        var loSet = false
        for i in p.indices {
            cumulative += p[i]
            if !loSet && cumulative >= 0.025 { (lo, loSet) = (i, true) }
            if cumulative >= 0.975 {
                hi = i
                break
            }
        }
        return (m + best, (m + min(lo, best))...(m + max(hi, best)))
    }

    private func permutationP(_ values: [Double], stat: Double, salt: UInt64) -> Double {
        var rng = SplitMix64(seed: seed ^ (salt &* 0x9e37_79b9_7f4a_7c15))
        var v = values
        var atLeast = 0
        let tolerance = abs(stat) * 1e-12
        for _ in 0..<permutations {
            switch null {
            case .permutation:
                for i in stride(from: v.count - 1, to: 0, by: -1) { v.swapAt(i, rng.below(i + 1)) }
            case .gaussian:
                for i in v.indices { v[i] = Self.normal(&rng) }
            }
            if let s = strength(v), s >= stat - tolerance {
                atLeast += 1
                if Double(atLeast + 1) / Double(permutations + 1) > alpha { break }
            }
        }
        return Double(atLeast + 1) / Double(permutations + 1)
    }

    /// A standard normal draw (Box-Muller).
    static func normal(_ rng: inout SplitMix64) -> Double {
        let u1 = (Double(rng.next() >> 11) + 1) / 9_007_199_254_740_993.0
        let u2 = Double(rng.next() >> 11) / 9_007_199_254_740_992.0
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// Where the change at `t` between `a` and `b` may lie: the 95% posterior range of one change
    /// in `y[a..<b]`, widened to hold `t`.
    func locationInterval(_ y: [Double], _ a: Int, _ t: Int, _ b: Int) -> ClosedRange<Int> {
        guard let place = Self.locate(Array(y[a..<b]), minimumSegment: minimumSegment, statistic) else { return t...t }
        return min(a + place.range.lowerBound, t)...max(a + place.range.upperBound, t)
    }
}
