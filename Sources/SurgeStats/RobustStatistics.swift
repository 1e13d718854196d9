/// Order statistics that one wild value cannot move far: median, MAD, Hampel's outlier filter.
public enum RobustStatistics {
    /// The median (the mean of the two middle values for an even count); NaN when empty.
    public static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The median absolute deviation scaled by 1.4826, an estimate of σ for normal data.
    public static func madScale(_ xs: [Double]) -> Double {
        let m = median(xs)
        return 1.4826 * median(xs.map { abs($0 - m) })
    }

    /// σ of the noise from successive differences (`MAD(Δx)/√2`): a step moves one difference
    /// and a slow drift barely any, so neither inflates it.
    public static func differenceScale(_ xs: [Double]) -> Double {
        guard xs.count >= 3 else { return 0 }
        return madScale(zip(xs.dropFirst(), xs).map { $0 - $1 }) / 2.0.squareRoot()
    }

    /// Hampel's filter: indices of the values further than `limit` scales from the median of the
    /// `window` values on each side. The scale is the larger of the window's MAD and
    /// `floorScale`, so a quiet stretch does not turn ordinary noise into outliers; the running
    /// median keeps steps (a value next to a step sits with its own level in the window).
    public static func hampelOutliers(_ xs: [Double], window: Int = 5, limit: Double = 5, floorScale: Double) -> [Int] {
        guard xs.count >= 2 * window + 1 else { return [] }
        var out: [Int] = []
        for i in xs.indices {
            let lo = max(0, min(i - window, xs.count - 2 * window - 1))
            let part = Array(xs[lo..<(lo + 2 * window + 1)])
            let m = median(part)
            let scale = max(madScale(part), floorScale)
            if scale > 0 && abs(xs[i] - m) > limit * scale { out.append(i) }
        }
        return out
    }

    /// The median of the `window` values on each side of each value (fewer at the ends: the
    /// window keeps its width and slides inside the series).
    public static func runningMedian(_ xs: [Double], window: Int = 5) -> [Double] {
        let width = 2 * window + 1
        guard xs.count >= width else { return xs.map { _ in median(xs) } }
        return xs.indices.map { i in
            let lo = max(0, min(i - window, xs.count - width))
            return median(Array(xs[lo..<(lo + width)]))
        }
    }

    /// The `q` quantile (0…1) of values already sorted, by linear interpolation.
    public static func quantile(sorted s: [Double], _ q: Double) -> Double {
        guard !s.isEmpty else { return .nan }
        let h = q * Double(s.count - 1)
        let i = Int(h.rounded(.down))
        return i + 1 < s.count ? s[i] + (h - Double(i)) * (s[i + 1] - s[i]) : s[i]
    }
}
