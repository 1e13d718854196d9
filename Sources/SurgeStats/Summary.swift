/// A sample summarised the way benchstat summarises one benchmark cell: its median and a confidence
/// interval of the median from order statistics (benchstat's `assume=nothing`), or, for exactly
/// reproducible counts, its mode with the min–max range (benchstat's `assume=exact`).
///
/// ```swift
/// let s = Summary([5.1, 5.3, 5.0, 5.2, 5.6, 5.2], confidence: 0.95)
/// s.center   // 5.2   (median: benchstat's R8 quantile, a + 0.5*(b-a) for even n)
/// s.lo, s.hi // 5.0, 5.6   (order statistics [1, 6] at n = 6)
/// s.rangeText // "8%"
/// ```
public struct Summary: Sendable, Equatable {
    public enum Kind: String, Sendable { case median, exact }

    public let kind: Kind
    /// Number of values.
    public let n: Int
    /// Median (or, for `.exact`, the most frequent value, the smallest of equally frequent ones).
    public let center: Double
    /// Lower end of the interval; −∞ when the sample is too small for the requested confidence.
    public let lo: Double
    /// Upper end of the interval; +∞ when the sample is too small.
    public let hi: Double
    /// The confidence level asked for (0.95 by default).
    public let confidence: Double
    /// What a reader must be told about this summary (benchstat's wording), e.g.
    /// `need >= 6 samples for confidence interval at level 0.95`.
    public let warnings: [String]

    /// Median and its confidence interval at `confidence` (0...1).
    public init(_ values: [Double], confidence: Double = 0.95) {
        self.init(sorted: values.sorted(), confidence: confidence)
    }

    /// As `init(_:confidence:)` for values already in ascending order (saves the sort).
    public init(sorted xs: [Double], confidence: Double = 0.95) {
        kind = .median
        n = xs.count
        self.confidence = confidence
        guard !xs.isEmpty else {
            center = .nan
            lo = -.infinity
            hi = .infinity
            warnings = ["sample is too small"]
            return
        }
        center = Self.medianR8(xs)
        let ci = MedianCI(n: n, confidence: confidence)
        lo = ci.loOrder < 1 ? -.infinity : xs[ci.loOrder - 1]
        hi = ci.hiOrder > n ? .infinity : xs[ci.hiOrder - 1]
        if lo.isInfinite || hi.isInfinite {
            let need = MedianCI.samplesNeeded(confidence: confidence)
            warnings = ["need \(need.op) \(need.n) samples for confidence interval at level \(GoFloatFormat.shortest(confidence))"]
        } else {
            warnings = []
        }
    }

    /// moremath's `Sample.Quantile(0.5)` (R8) on sorted values, computed as it is computed: the
    /// interpolation `x[k-1] + frac·(x[k] − x[k-1])` also runs when `frac` is 0, which turns the
    /// median of three `-0` into `+0` (benchstat prints `0.000`), while a single `-0` stays `-0`.
    static func medianR8(_ xs: [Double]) -> Double {
        let position = 1.0 / 3 + 0.5 * (Double(xs.count) + 1.0 / 3)
        let whole = position.rounded(.towardZero)
        let frac = position - whole
        let k = Int(whole)
        if k <= 0 { return xs[0] }
        if k >= xs.count { return xs[xs.count - 1] }
        return xs[k - 1] + frac * (xs[k] - xs[k - 1])
    }

    /// Summary of a count that should not vary: mode, min, max; warns when the values differ.
    public static func exact(_ values: [Double]) -> Summary {
        Summary(exactSorted: values.sorted())
    }

    init(exactSorted xs: [Double]) {
        kind = .exact
        n = xs.count
        confidence = 1
        guard let first = xs.first, let last = xs.last else {
            center = .nan
            lo = .nan
            hi = .nan
            warnings = ["sample is too small"]
            return
        }
        var mode = first
        var modeCount = 0
        var i = 0
        while i < xs.count {
            var j = i
            while j < xs.count && xs[j] == xs[i] { j += 1 }
            if j - i > modeCount {
                modeCount = j - i
                mode = xs[i]
            }
            i = j
        }
        center = mode
        lo = first
        hi = last
        warnings = first == last ? [] :
            ["exact distribution expected, but values range from \(GoFloatFormat.shortest(first)) to \(GoFloatFormat.shortest(last))"]
    }

    /// The interval as a percentage of the center, as benchstat prints it after `±`:
    /// `∞` (infinite interval), `?` (an end on the other side of zero), `0%` (center 0) or `%.0f%%`
    /// of `100·max(hi/center − 1, 1 − lo/center)`.
    public var rangeText: String {
        if lo.isInfinite || hi.isInfinite { return "∞" }
        let sign = Self.sign(center)
        if sign != Self.sign(lo) || sign != Self.sign(hi) { return "?" }
        if center == 0 { return "0%" }
        let v = max(hi / center - 1, 1 - lo / center)
        return GoFloatFormat.fixed(100 * v, 0) + "%"
    }

    static func sign(_ x: Double) -> Int { x == 0 ? 0 : (x < 0 ? -1 : 1) }
}
