/// Geometric mean as moremath computes it (running mean of logarithms, then `exp`), with Go's own
/// `math.Log` and `math.Exp` (`GoMath`), so the geomean row matches benchstat's digits bit for bit:
/// the C library's `log`/`exp` give `6.999999999999999` for the geomean of [7] where Go gives `7`.
public enum GeoMean {
    /// nil when `values` is empty, any value is ≤ 0, or the mean is NaN (benchstat then prints a
    /// footnote instead).
    public static func of(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        var mean = 0.0
        for (i, x) in values.enumerated() {
            guard x > 0 else { return nil }
            mean += (GoMath.log(x) - mean) / Double(i + 1)
        }
        // moremath returns NaN for a value ≤ 0, and benchstat tests the result with IsNaN: a NaN
        // reached otherwise (+Inf then a finite value: Inf − Inf) is "no geomean" as well.
        let result = GoMath.exp(mean)
        return result.isNaN ? nil : result
    }

    /// Geometric mean of ratios `new/old` over pairs, benchstat's way: equal values (also 0/0) give 1,
    /// an old value of 0 makes the ratio unavailable (nil, printed `?`).
    public static func ofRatios(_ pairs: [(old: Double, new: Double)]) -> Double? {
        var ratios: [Double] = []
        ratios.reserveCapacity(pairs.count)
        for pair in pairs {
            if pair.old == pair.new { ratios.append(1) } else if pair.old == 0 { return nil } else { ratios.append(pair.new / pair.old) }
        }
        return of(ratios)
    }
}
