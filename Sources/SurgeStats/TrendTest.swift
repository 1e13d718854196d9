/// A monotone trend in a series: the Mann-Kendall test and Sen's slope (the Theil-Sen estimator,
/// the median of every pairwise slope) with its confidence interval from Kendall's S
/// (P. K. Sen, "Estimates of the regression coefficient based on Kendall's tau", JASA 63, 1968).
struct TrendTest: Sendable, Equatable {
    /// Two-sided Mann-Kendall p-value (normal approximation with the tie correction).
    var p: Double
    /// Change of y per unit of x.
    var slope: ShiftEstimate
    /// The Theil-Sen line's value at x = 0 (median of y − slope·x).
    var intercept: Double

    /// Kendall's S (concordant minus discordant pairs in time order) and its null variance.
    static func kendallS(_ y: ArraySlice<Double>) -> (s: Double, variance: Double) {
        var s = 0
        for i in y.indices {
            let v = y[i]
            for j in (i + 1)..<y.endIndex {
                let d = y[j] - v
                s += d > 0 ? 1 : (d < 0 ? -1 : 0)
            }
        }
        var tieTerm = 0.0
        for (_, count) in Dictionary(grouping: y, by: { $0 }).mapValues(\.count) where count > 1 {
            let t = Double(count)
            tieTerm += t * (t - 1) * (2 * t + 5)
        }
        let n = Double(y.count)
        return (Double(s), max((n * (n - 1) * (2 * n + 5) - tieTerm) / 18, 0))
    }

    /// Two-sided p of S with the continuity correction.
    static func p(s: Double, variance: Double) -> Double {
        let z = variance > 0 ? (s - (s > 0 ? 1 : (s < 0 ? -1 : 0))) / variance.squareRoot() : 0
        return 2 * (1 - StandardNormal.cdf(abs(z)))
    }

    /// The test alone (no slope), for screening.
    static func p(_ y: [Double]) -> Double {
        let (s, v) = kendallS(y[...])
        return p(s: s, variance: v)
    }

    init?(x: [Double], y: [Double], confidence: Double = 0.95) {
        let n = y.count
        guard n >= 3, x.count == n else { return nil }
        let (s, variance) = Self.kendallS(y[...])
        var slopes: [Double] = []
        slopes.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<n {
            for j in (i + 1)..<n where x[j] != x[i] { slopes.append((y[j] - y[i]) / (x[j] - x[i])) }
        }
        guard !slopes.isEmpty else { return nil }
        p = Self.p(s: s, variance: variance)
        slopes.sort()
        let c = StandardNormal.quantile(0.5 + confidence / 2) * variance.squareRoot()
        let count = Double(slopes.count)
        let lo = Int(((count - c) / 2).rounded(.down)) - 1, hi = Int(((count + c) / 2).rounded(.up))
        let estimate = RobustStatistics.quantile(sorted: slopes, 0.5)
        slope = ShiftEstimate(estimate: estimate, lower: slopes[min(max(lo, 0), slopes.count - 1)],
                              upper: slopes[min(max(hi, 0), slopes.count - 1)])
        intercept = RobustStatistics.median(zip(x, y).map { $1 - estimate * $0 })
    }
}
