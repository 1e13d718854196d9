import Synchronization

/// Why a Mann-Whitney U test could not be computed (benchstat reports it as p = 1 plus this text).
public enum MannWhitneyUError: Error, Equatable, CustomStringConvertible, Sendable {
    /// One of the samples is empty.
    case sampleTooSmall
    /// Every value of both samples is the same: there is nothing to rank.
    case allSamplesEqual
    /// A value is NaN, which has no rank (benchstat loops forever on it; Surge reports it).
    case notANumber

    public var description: String {
        switch self {
        case .sampleTooSmall: return "sample is too small"
        case .allSamplesEqual: return "all samples are equal"
        case .notANumber: return "sample contains NaN"
        }
    }
}

/// The two-sided Mann-Whitney U test, computed as moremath's `MannWhitneyUTest(x1, x2, LocationDiffers)`
/// (the test behind benchstat's `~` and `p=`):
///
/// - `U1 = R1 − n1(n1+1)/2`, with mid-ranks for tied values;
/// - no ties and n1, n2 ≤ 50: the exact distribution (Mann–Whitney recurrence);
/// - ties and n1, n2 ≤ 25: the distribution *conditional on the tie pattern*, computed as moremath's
///   `makeUmemo` (Cheung–Klotz) computes it, quirks included (see `TiedUDistribution`);
///   for both exact methods `p = 1` if `U1 == U2`, else `2·CDF(min(U1, U2))`. With ties this can
///   exceed 1 (`p=1.333` for [2] vs [1, 1]); like benchstat it is not clamped;
/// - otherwise the normal approximation with tie and continuity correction:
///   `σ = √(n1·n2·((N+1) − Σ(t³−t)/(N(N−1)))/12)`, `z = (U1 − n1n2/2 ∓ 0.5)/σ`,
///   `p = 2·min(Φ(z), 1−Φ(z))`.
public struct MannWhitneyU: Sendable, Equatable {
    public enum Method: String, Sendable {
        case exact
        case exactWithTies
        case normalApproximation
    }

    public static let exactLimit = 50
    public static let tiesExactLimit = 25

    public let n1: Int
    public let n2: Int
    /// U statistic of the first sample (pairs where x1 > x2, ties counting ½).
    public let u1: Double
    /// Two-sided p-value.
    public let p: Double
    public let method: Method

    public var u2: Double { Double(n1 * n2) - u1 }

    public init(_ x1: [Double], _ x2: [Double]) throws(MannWhitneyUError) {
        try self.init(sorted: x1.sorted(), x2.sorted())
    }

    /// As `init(_:_:)` for samples already in ascending order.
    public init(sorted x1: [Double], _ x2: [Double]) throws(MannWhitneyUError) {
        let n1 = x1.count
        let n2 = x2.count
        guard n1 > 0, n2 > 0 else { throw .sampleTooSmall }
        // NaN equals nothing, so ranking could never advance past it.
        if x1.contains(where: \.isNaN) || x2.contains(where: \.isNaN) { throw .notANumber }
        self.n1 = n1
        self.n2 = n2

        // Merge, rank with mid-ranks, collect the tie vector.
        var ties: [Int] = []
        ties.reserveCapacity(n1 + n2)
        var r1 = 0.0
        var hasTies = false
        var i = 0
        var j = 0
        var position = 0  // values consumed so far
        while i < n1 || j < n2 {
            let v: Double
            if j >= n2 || (i < n1 && x1[i] < x2[j]) { v = x1[i] } else { v = x2[j] }
            var count1 = 0
            var count = 0
            while i < n1 && x1[i] == v { i += 1; count1 += 1; count += 1 }
            while j < n2 && x2[j] == v { j += 1; count += 1 }
            let firstRank = position + 1
            position += count
            if count1 != 0 {
                r1 += Double(position + firstRank) / 2 * Double(count1)
            }
            ties.append(count)
            if count > 1 { hasTies = true }
        }
        let u1 = r1 - Double(n1 * (n1 + 1)) / 2
        let u2 = Double(n1 * n2) - u1
        let uSmall = min(u1, u2)
        self.u1 = u1

        if (!hasTies && n1 <= Self.exactLimit && n2 <= Self.exactLimit)
            || (hasTies && n1 <= Self.tiesExactLimit && n2 <= Self.tiesExactLimit) {
            if ties.count == 1 { throw .allSamplesEqual }
            if hasTies {
                method = .exactWithTies
                p = u1 == u2 ? 1 : 2 * TiedUDistribution.cdf(uSmall, n1: n1, n2: n2, ties: ties)
            } else {
                method = .exact
                p = u1 == u2 ? 1 : 2 * UDistribution.cdf(Int(uSmall.rounded(.down)), n1: n1, n2: n2)
            }
        } else {
            let t = ties.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
            let total = Double(n1 + n2)
            let mean = Double(n1 * n2) / 2
            let sigma = (Double(n1 * n2) * ((total + 1) - t / (total * (total - 1))) / 12).squareRoot()
            if sigma == 0 { throw .allSamplesEqual }
            var numerator = u1 - mean
            numerator -= (numerator == 0 ? 0 : (numerator < 0 ? -1 : 1)) * 0.5
            let z = numerator / sigma
            let phi = StandardNormal.cdf(z)
            method = .normalApproximation
            p = 2 * min(phi, 1 - phi)
        }
    }

    /// The smallest p-value the test can give for two samples of `n` values each (`2/C(2n, n)`).
    public static func minimumP(n: Int) -> Double {
        2 / BinomialCoefficient.choose(2 * n, n)
    }

    /// benchstat's `uTestSamples`: the smallest n in 1...9 whose minimum p is ≤ alpha, as `(">=", n)`,
    /// or `(">", 10)` if none is.
    public static func samplesNeeded(alpha: Double) -> (op: String, n: Int) {
        for n in 1...9 where minimumP(n: n) <= alpha { return (">=", n) }
        return (">", 10)
    }
}

/// Exact null distribution of U without ties (Mann & Whitney 1947 recurrence in probabilities, in the
/// same order of operations as moremath so p-values agree to the last bit). Distributions are cached
/// per (n1, n2) as cumulative sums.
enum UDistribution {
    private static let cache = Mutex<[Int: [Double]]>([:])

    static func cdf(_ u: Int, n1: Int, n2: Int) -> Double {
        if u < 0 { return 0 }
        let mn = n1 * n2
        if u >= mn { return 1 }
        var ui = u
        let flip = ui >= (mn + 1) / 2
        if flip { ui = mn - ui - 1 }
        let cumulative = cumulativeDistribution(n1: n1, n2: n2)
        let p = cumulative[ui]
        return flip ? 1 - p : p
    }

    static func cumulativeDistribution(n1: Int, n2: Int) -> [Double] {
        let key = min(n1, n2) << 16 | max(n1, n2)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let pdf = probabilities(n1: n1, n2: n2)
        var cumulative = [Double](repeating: 0, count: pdf.count)
        var sum = 0.0
        for (i, v) in pdf.enumerated() {
            sum += v
            cumulative[i] = sum
        }
        cache.withLock { $0[key] = cumulative }
        return cumulative
    }

    /// p_{N,M}(U) for U in 0...N·M.
    static func probabilities(n1: Int, n2: Int) -> [Double] {
        let bigN = min(n1, n2)
        let bigM = max(n1, n2)
        let limitU = bigN * bigM
        var memo = [[Double]](repeating: [Double](repeating: 0, count: limitU + 1), count: bigN + 1)
        for m in 0...bigM {
            memo[0][0] = 1
            let nLimit = min(bigN, m)
            if nLimit < 1 { continue }
            for n in 1...nLimit {
                let lp = memo[n - 1]
                let rp = n <= m - 1 ? memo[n] : memo[m - 1]
                let uLimit = min(n * m, limitU)
                let nPlusM = Double(n + m)
                var out = memo[n]
                var u = uLimit
                while u >= 0 {
                    let l = u - m >= 0 ? Double(n) * lp[u - m] : 0.0
                    let r = Double(m) * rp[u]
                    out[u] = (l + r) / nPlusM
                    u -= 1
                }
                memo[n] = out
            }
        }
        return memo[bigN]
    }
}

