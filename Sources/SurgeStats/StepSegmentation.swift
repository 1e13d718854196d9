/// Changes of level in a series, found by binary segmentation and kept by a permutation test.
///
/// The split of a segment is the one that explains most of its variance: the `t` maximising the
/// between-part sum of squares `t(n−t)/n · (mean₁ − mean₂)²` (the Gaussian likelihood ratio of a
/// step, which unlike Pettitt's unstandardised rank sum does not pull the split toward the
/// middle), with at least `minimumSegment` values on each side. Its p-value is the share of
/// `permutations` seeded shuffles of the segment whose best split explains as much (the test
/// stops as soon as the answer is above alpha). Each accepted split divides the segment and both
/// parts are searched again; then every split is moved to the best point between its neighbours
/// and tested again on that stretch, and the weakest is dropped until all pass (pieces of one
/// change do not survive on their own).
struct StepSegmentation: Sendable {
    var alpha: Double
    var minimumSegment: Int
    var permutations: Int
    var seed: UInt64

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

    /// The best split of `y[a..<b]` and its permutation p-value.
    func test(_ y: [Double], _ a: Int, _ b: Int) -> Split? {
        let part = Array(y[a..<b])
        guard let (t, stat) = Self.bestSplit(part, minimumSegment: minimumSegment), stat > 0 else { return nil }
        return Split(index: a + t, p: permutationP(part, stat: stat, salt: UInt64(a &* 7919 &+ b)))
    }

    /// (t, statistic): the size of the first part and the between-part sum of squares it explains.
    static func bestSplit(_ v: [Double], minimumSegment m: Int) -> (Int, Double)? {
        let n = v.count
        guard n >= 2 * m, m >= 1 else { return nil }
        var total = 0.0
        for x in v { total += x }
        var s = 0.0
        for i in 0..<(m - 1) { s += v[i] }
        var best = (0, -1.0)
        for t in m...(n - m) {
            s += v[t - 1]
            let d = s / Double(t) - (total - s) / Double(n - t)
            let stat = d * d * Double(t) * Double(n - t) / Double(n)
            if stat > best.1 { best = (t, stat) }
        }
        return best
    }

    private func permutationP(_ values: [Double], stat: Double, salt: UInt64) -> Double {
        var rng = SplitMix64(seed: seed ^ (salt &* 0x9e37_79b9_7f4a_7c15))
        var v = values
        var atLeast = 0
        let tolerance = stat * 1e-12
        for _ in 0..<permutations {
            for i in stride(from: v.count - 1, to: 0, by: -1) { v.swapAt(i, rng.below(i + 1)) }
            if let (_, s) = Self.bestSplit(v, minimumSegment: minimumSegment), s >= stat - tolerance {
                atLeast += 1
                if Double(atLeast + 1) / Double(permutations + 1) > alpha { break }
            }
        }
        return Double(atLeast + 1) / Double(permutations + 1)
    }

    /// Where the split of `y[a..<b]` at `t` may lie: the 2.5% and 97.5% quantiles of the best split
    /// of `replicates` series made of the two fitted levels plus resampled residuals.
    func locationInterval(_ y: [Double], _ a: Int, _ t: Int, _ b: Int, replicates: Int = 200) -> ClosedRange<Int> {
        let before = Array(y[a..<t]), after = Array(y[t..<b])
        let m1 = before.reduce(0, +) / Double(before.count), m2 = after.reduce(0, +) / Double(after.count)
        let residuals = before.map { $0 - m1 } + after.map { $0 - m2 }
        var rng = SplitMix64(seed: seed ^ UInt64(t &* 104_729 &+ a))
        var found: [Int] = []
        var series = [Double](repeating: 0, count: b - a)
        for _ in 0..<replicates {
            for i in series.indices {
                series[i] = (i < t - a ? m1 : m2) + residuals[rng.below(residuals.count)]
            }
            if let (s, _) = Self.bestSplit(series, minimumSegment: minimumSegment) { found.append(a + s) }
        }
        found.sort()
        guard !found.isEmpty else { return t...t }
        let lo = found[Int(Double(found.count - 1) * 0.025)], hi = found[Int((Double(found.count - 1) * 0.975).rounded(.up))]
        return min(lo, t)...max(hi, t)
    }
}
