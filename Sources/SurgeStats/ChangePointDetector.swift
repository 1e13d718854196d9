import Foundation

/// Finds the runs at which a series of per-run medians shifted level: binary segmentation with
/// Pettitt's rank test (A. N. Pettitt, "A non-parametric approach to the change-point problem",
/// Applied Statistics 28(2), 1979), the Mann-Whitney statistic maximised over every split point.
///
/// For a segment x₁…xₙ and each split t, `U_t = Σ_{i≤t} Σ_{j>t} sgn(x_j − x_i)`; the candidate
/// change is the t with the largest |U_t| (K). Its p-value is exact in distribution, by permutation:
/// the share of `permutations` random orderings of the same values whose K is at least as large
/// (a fixed-seed generator makes the answer reproducible; the count stops once p exceeds alpha, so
/// p-values above alpha are lower bounds). A significant change (p ≤ alpha) with at
/// least `minimumSegment` values on each side is kept, and both halves are searched again.
/// Rank-based, so one wild run neither makes nor hides a change; the caller judges the size of the
/// shift (Surge: against the scenario's threshold).
public struct ChangePointDetector: Sendable {
    public struct ChangePoint: Sendable, Equatable {
        /// Index of the first value of the new level.
        public var index: Int
        public var p: Double
        /// Medians of the segments before and after (bounded by the neighbouring change points).
        public var before: Double
        public var after: Double

        public var relativeShift: Double { before == 0 ? (after == 0 ? 0 : .infinity) : after / before - 1 }
    }

    public var alpha: Double
    public var minimumSegment: Int
    public var permutations: Int

    public init(alpha: Double = 0.05, minimumSegment: Int = 3, permutations: Int = 999) {
        self.alpha = alpha
        self.minimumSegment = minimumSegment
        self.permutations = permutations
    }

    public func detect(_ xs: [Double]) -> [ChangePoint] {
        var indices: [(Int, Double)] = []
        search(xs, lo: 0, hi: xs.count, into: &indices)
        let sorted = indices.sorted { $0.0 < $1.0 }
        let bounds = [0] + sorted.map(\.0) + [xs.count]
        return sorted.enumerated().map { k, cp in
            let before = Self.median(Array(xs[bounds[k]..<cp.0]))
            let after = Self.median(Array(xs[cp.0..<bounds[k + 2]]))
            return ChangePoint(index: cp.0, p: cp.1, before: before, after: after)
        }
    }

    private func search(_ xs: [Double], lo: Int, hi: Int, into found: inout [(Int, Double)]) {
        let n = hi - lo
        guard n >= 2 * minimumSegment else { return }
        let segment = Array(xs[lo..<hi])
        let (t, k) = Self.pettitt(segment)
        guard t >= minimumSegment, n - t >= minimumSegment, k > 0 else { return }
        let p = permutationP(segment, k: k)
        guard p <= alpha else { return }
        found.append((lo + t, p))
        search(xs, lo: lo, hi: lo + t, into: &found)
        search(xs, lo: lo + t, hi: hi, into: &found)
    }

    /// (t, K): the split (size of the first part) with the largest |U_t| and that maximum.
    static func pettitt(_ xs: [Double]) -> (Int, Double) {
        let n = xs.count
        var best = (0, 0.0)
        var u = 0.0
        for t in 1..<n {
            // U_t = U_{t-1} + Σ_j sgn(x_j − x_t) over all j (pairs with j ≤ t cancel out)
            for j in 0..<n { u += Self.sign(xs[j] - xs[t - 1]) }
            if abs(u) > best.1 { best = (t, abs(u)) }
        }
        return best
    }

    private func permutationP(_ xs: [Double], k: Double) -> Double {
        var rng = SplitMix64(seed: 0x5eed_c4a2_9e37_79b9 ^ UInt64(xs.count))
        var values = xs
        var atLeast = 0
        for _ in 0..<permutations {
            for i in stride(from: values.count - 1, to: 0, by: -1) {
                values.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            if Self.pettitt(values).1 >= k {
                atLeast += 1
                // Already beyond alpha whatever the remaining orderings give: stop (the answer is "not significant").
                if Double(atLeast + 1) / Double(permutations + 1) > alpha { break }
            }
        }
        return Double(atLeast + 1) / Double(permutations + 1)
    }

    static func sign(_ x: Double) -> Double { x > 0 ? 1 : (x < 0 ? -1 : 0) }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// A small, fast, reproducible pseudo-random generator (Steele, Lea and Flood's SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
