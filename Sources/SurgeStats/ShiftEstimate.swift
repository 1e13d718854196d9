/// The shift between two samples as the Hodges-Lehmann estimator (the median of every difference
/// `after − before`) with its distribution-free confidence interval (Moses; order statistics of the
/// differences chosen from Mann-Whitney's null distribution, normal approximation).
public struct ShiftEstimate: Sendable, Equatable {
    public var estimate: Double
    public var lower: Double
    public var upper: Double

    public init(estimate: Double, lower: Double, upper: Double) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
    }

    public init(before: [Double], after: [Double], confidence: Double = 0.95) {
        var d: [Double] = []
        d.reserveCapacity(before.count * after.count)
        for a in after { for b in before { d.append(a - b) } }
        d.sort()
        guard !d.isEmpty else {
            self.init(estimate: .nan, lower: .nan, upper: .nan)
            return
        }
        let n1 = Double(before.count), n2 = Double(after.count)
        let z = StandardNormal.quantile(0.5 + confidence / 2)
        let c = Int((n1 * n2 / 2 - z * (n1 * n2 * (n1 + n2 + 1) / 12).squareRoot()).rounded(.down))
        let k = min(max(c, 0), (d.count - 1) / 2)
        self.init(estimate: RobustStatistics.quantile(sorted: d, 0.5), lower: d[k], upper: d[d.count - 1 - k])
    }

    /// The same shift mapped through `f` (e.g. `exp(x) − 1` from logarithms to a relative change).
    public func map(_ f: (Double) -> Double) -> ShiftEstimate {
        ShiftEstimate(estimate: f(estimate), lower: f(lower), upper: f(upper))
    }

    /// Whether the interval reaches `threshold` in absolute value: the change may be as large.
    public func mayExceed(_ threshold: Double) -> Bool { max(abs(lower), abs(upper)) >= threshold }
}
