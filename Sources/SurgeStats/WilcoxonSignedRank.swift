import Foundation

/// The Wilcoxon signed-rank test and its Hodges–Lehmann estimate with the distribution-free
/// confidence interval, for paired differences (Hollander & Wolfe, *Nonparametric Statistical
/// Methods*, §3.1–3.2).
///
/// - Test: zero differences are dropped (Wilcoxon's method, scipy's `zero_method="wilcox"`); `T+` is
///   the sum of the midranks of |d| over the positive d. With at most `exactLimit` non-zero
///   differences and no ties the two-sided p-value comes from the exact null distribution of `T+`
///   (2^n equally likely sign assignments); otherwise from the normal approximation with the tie
///   correction of the variance, without continuity correction (scipy's `method="approx"`).
/// - Estimate: the median of the n(n+1)/2 Walsh averages (d_i + d_j)/2, i ≤ j.
/// - Interval: [W_(k), W_(M+1−k)] of the sorted Walsh averages, k the largest with
///   P(T+ ≤ k−1) ≤ (1−confidence)/2 under the exact distribution of n (normal approximation above
///   `exactLimit`). When no k qualifies (n ≤ 5 at 95%) the interval is unbounded.
public struct WilcoxonSignedRank: Sendable, Equatable {
    public static let exactLimit = 50

    /// Number of differences (zeros included).
    public let n: Int
    /// Non-zero differences, those the test ranks.
    public let nonZero: Int
    /// Sum of the ranks of the positive differences.
    public let tPlus: Double
    /// Two-sided p-value (1 when every difference is zero).
    public let p: Double
    /// Whether `p` came from the exact distribution.
    public let exact: Bool
    /// Hodges–Lehmann estimate of the centre of the differences.
    public let estimate: Double
    /// The interval; `-inf`/`+inf` when too few pairs reach the confidence.
    public let lower: Double
    public let upper: Double
    /// The confidence the interval really has (order statistics give only some levels), nil when unbounded.
    public let achievedConfidence: Double?

    public init(differences d: [Double], confidence: Double = 0.95) {
        n = d.count
        let walsh = Self.walshAverages(d)
        estimate = walsh.isEmpty ? .nan : Self.median(walsh)
        let ranked = d.filter { $0 != 0 }
        nonZero = ranked.count
        let (ranks, tieGroups) = Self.midranks(ranked.map(abs))
        tPlus = zip(ranked, ranks).reduce(0) { $0 + ($1.0 > 0 ? $1.1 : 0) }
        if ranked.isEmpty {
            p = 1
            exact = true
        } else if ranked.count <= Self.exactLimit && tieGroups.isEmpty {
            let counts = Self.nullCounts(ranked.count)
            let total = counts.reduce(0, +)
            let t = Int(tPlus.rounded())
            let below = counts[0...t].reduce(0, +)
            let above = counts[t...].reduce(0, +)
            p = min(1, 2 * min(below, above) / total)
            exact = true
        } else {
            let m = Double(ranked.count)
            let mean = m * (m + 1) / 4
            var variance = m * (m + 1) * (2 * m + 1) / 24
            for t in tieGroups { variance -= Double(t * t * t - t) / 48 }
            let z = variance > 0 ? abs(tPlus - mean) / variance.squareRoot() : 0
            p = min(1, GoMath.erfc(z / 2.0.squareRoot()))
            exact = false
        }
        // The interval, from the sorted Walsh averages.
        let alphaHalf = (1 - confidence) / 2
        var k = 0
        var achieved: Double?
        if n > 0 && n <= Self.exactLimit {
            let counts = Self.nullCounts(n)
            let total = counts.reduce(0, +)
            var cumulative = 0.0
            // k − 1 = the largest t with P(T+ ≤ t) ≤ alpha/2.
            for (t, c) in counts.enumerated() {
                if (cumulative + c) / total > alphaHalf { break }
                cumulative += c
                k = t + 1
            }
            if k > 0 { achieved = 1 - 2 * cumulative / total }
        } else if n > Self.exactLimit {
            let m = Double(n)
            let z = Self.normalQuantile(1 - alphaHalf)
            k = max(0, Int((m * (m + 1) / 4 - z * (m * (m + 1) * (2 * m + 1) / 24).squareRoot()).rounded(.down)))
            if k > 0 { achieved = confidence }
        }
        if k > 0 && k <= walsh.count {
            lower = walsh[k - 1]
            upper = walsh[walsh.count - k]
        } else {
            lower = -.infinity
            upper = .infinity
        }
        achievedConfidence = achieved
    }

    /// Sorted (d_i + d_j)/2 for i ≤ j.
    public static func walshAverages(_ d: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(d.count * (d.count + 1) / 2)
        for i in d.indices { for j in i..<d.count { out.append((d[i] + d[j]) / 2) } }
        return out.sorted()
    }

    /// Number of sign assignments giving each T+ = 0 ... n(n+1)/2 for ranks 1...n (as Doubles:
    /// 2^50 still counts exactly in a Double's 53-bit significand).
    static func nullCounts(_ n: Int) -> [Double] {
        let maxT = n * (n + 1) / 2
        var counts = [Double](repeating: 0, count: maxT + 1)
        counts[0] = 1
        var reach = 0
        for r in 1...max(1, n) where n > 0 {
            reach += r
            for t in stride(from: reach, through: r, by: -1) { counts[t] += counts[t - r] }
        }
        return counts
    }

    /// Midranks of `values` (1-based) and the sizes of the tie groups larger than one.
    static func midranks(_ values: [Double]) -> (ranks: [Double], ties: [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var ties: [Int] = []
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j + 2) / 2
            for k in i...j { ranks[order[k]] = rank }
            if j > i { ties.append(j - i + 1) }
            i = j + 1
        }
        return (ranks, ties)
    }

    static func median(_ sorted: [Double]) -> Double {
        let m = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2
    }

    /// The standard normal quantile, by bisection on erfc (enough for interval bounds).
    static func normalQuantile(_ q: Double) -> Double {
        var lo = -10.0
        var hi = 10.0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            let cdf = 0.5 * GoMath.erfc(-mid / 2.0.squareRoot())
            if cdf < q { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}
