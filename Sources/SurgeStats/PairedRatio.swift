import Foundation

/// The B/A ratio of paired measurements (one pair per A/B round): each round's ratio, the
/// Hodges–Lehmann estimate of the ratio with the Wilcoxon signed-rank confidence interval, both
/// computed on log(B/A) and mapped back, and the signed-rank test's p-value.
///
/// Working on the log ratio makes the estimate symmetric (A/B is exactly the inverse of B/A) and
/// makes a drift that multiplies both sides of a round cancel. A pair whose values are both zero
/// counts as an unchanged round; a pair with exactly one zero (or a negative value) has no ratio,
/// and then the metric has none (`PairedRatio.init` returns nil).
public struct PairedRatio: Sendable, Equatable {
    /// B/A per round, round 1 first.
    public let roundRatios: [Double]
    /// Hodges–Lehmann estimate of B/A.
    public let ratio: Double
    /// The interval of B/A at `confidence` (0 and +inf when unbounded).
    public let lower: Double
    public let upper: Double
    public let p: Double
    public let test: WilcoxonSignedRank

    public static let methodText =
        "B/A per round; Hodges-Lehmann estimate of log(B/A) with the Wilcoxon signed-rank interval "
        + "(exact for up to 50 rounds without ties) and the signed-rank test's two-sided p-value"

    public init?(a: [Double], b: [Double], confidence: Double = 0.95) {
        guard a.count == b.count, !a.isEmpty else { return nil }
        var logs: [Double] = []
        var ratios: [Double] = []
        for (x, y) in zip(a, b) {
            if x == 0 && y == 0 {
                logs.append(0)
                ratios.append(1)
                continue
            }
            guard x > 0, y > 0, x.isFinite, y.isFinite else { return nil }
            logs.append(Foundation.log(y / x))
            ratios.append(y / x)
        }
        test = WilcoxonSignedRank(differences: logs, confidence: confidence)
        roundRatios = ratios
        ratio = Foundation.exp(test.estimate)
        lower = Foundation.exp(test.lower)
        upper = Foundation.exp(test.upper)
        p = test.p
    }

    public var isBounded: Bool { lower > 0 && upper.isFinite }

    /// Where the interval of the relative change (ratio − 1) lies against a threshold band ±t.
    public enum Band: String, Sendable {
        /// Entirely within ±t: any change is smaller than the threshold.
        case inside
        /// Entirely beyond +t or −t: the change is larger than the threshold.
        case outside
        /// Overlapping a band edge (or unbounded): more rounds would tell.
        case straddling
    }

    public func band(threshold t: Double) -> Band {
        guard isBounded else { return .straddling }
        let lo = lower - 1
        let hi = upper - 1
        if lo >= -t && hi <= t { return .inside }
        if lo > t || hi < -t { return .outside }
        return .straddling
    }
}
