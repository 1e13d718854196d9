import Foundation

/// Finds what changed in a series of per-run medians: steps (a new level from one run on),
/// drifts (a steady slope) and spread changes (the run-to-run noise grew or shrank).
///
/// 1. Values are taken as logarithms (changes are relative; run-to-run noise is close to
///    lognormal). Outliers are set aside first: Hampel's filter, `outlierLimit` scales from the
///    median of the 11 runs around (scale: that window's MAD, at least the series' noise from
///    successive differences), so one wild run neither makes nor hides a change.
/// 2. Steps: `StepSegmentation` (binary segmentation, Gaussian likelihood-ratio statistic divided
///    by the noise from successive differences, permutation test at `alpha`, at least
///    `minimumSegment` runs on each side, pruning). The size of each step is the Hodges-Lehmann
///    shift between its neighbouring segments with a 95% interval; its run and the runs it may lie
///    between come from the posterior of its position.
/// 3. Drift competes with the steps: a Mann-Kendall trend (p ≤ `driftAlpha`) is one drift (Sen's
///    slope and interval) instead of the steps when the values keep trending inside the steps'
///    segments (pooled Mann-Kendall, p ≤ alpha), or when its straight line fits better than the
///    steps by BIC (n·ln(RSS/n) + k·ln n; a step costs a level and a location) and the values also
///    slope on both sides of the best single split (t of that common slope > `slopeInsideSteps`).
/// 4. Spread: the same segmentation with the Gaussian variance likelihood ratio on the residuals of
///    the chosen model (mean-and-variance segmentation in two passes), its null drawn from
///    Gaussian series (`spreadAlpha`); the size is the ratio of spreads (Hodges-Lehmann on
///    log |residual|).
/// 5. Adjacent steps in one direction that each stay under the threshold but together reach it
///    are merged into one change.
///
/// Deterministic: every random choice comes from `seed`.
public struct ChangeDetector: Sendable {
    public var alpha: Double
    public var minimumSegment: Int
    public var permutations: Int
    public var outlierLimit: Double
    /// Spread changes smaller than this (relative change of the noise) are not reported.
    public var spreadThreshold: Double
    /// The spread test's level (a spread change alone is not a regression; it is reported for a reader).
    public var spreadAlpha: Double
    /// The drift test's level (stricter than `alpha`: the trend test runs on every series).
    public var driftAlpha: Double
    public var seed: UInt64
    /// A line that fits better than the steps is a drift only when the values also slope inside
    /// the two levels of the best single split: the t statistic of that common slope must pass
    /// this (2: about p = 0.05); otherwise the step stands.
    public var slopeInsideSteps: Double = 2

    public init(alpha: Double = 0.003, minimumSegment: Int = 5, permutations: Int = 9999, outlierLimit: Double = 5,
                spreadThreshold: Double = 0.5, driftAlpha: Double = 0.0001, spreadAlpha: Double = 0.0003, seed: UInt64 = 0x5eed_c4a2_9e37_79b9) {
        self.driftAlpha = driftAlpha
        self.spreadAlpha = spreadAlpha
        self.alpha = alpha
        self.minimumSegment = minimumSegment
        self.permutations = permutations
        self.outlierLimit = outlierLimit
        self.spreadThreshold = spreadThreshold
        self.seed = seed
    }

    /// The method and its parameters, for a report's footer.
    public var methodDescription: String {
        "steps: binary segmentation on log values, Gaussian likelihood-ratio statistic over the noise of "
            + "successive differences, permutation test (up to \(permutations) shuffles, p ≤ \(alpha)), "
            + "≥ \(minimumSegment) runs each side, run and 95% run range from the posterior of the change's position, "
            + "Hodges-Lehmann size with 95% interval; drift: Mann-Kendall (p ≤ \(driftAlpha)) and Sen's slope, "
            + "chosen over steps by BIC when the values also slope inside the best split's two levels "
            + "(|t| > \(GoFloatFormat.shortest(slopeInsideSteps))); spread: the same segmentation with the Gaussian "
            + "variance likelihood ratio on the residuals, Gaussian null (p ≤ \(spreadAlpha)); outliers: Hampel "
            + "filter at \(GoFloatFormat.shortest(outlierLimit)) MAD on log values; a change counts when its 95% "
            + "interval reaches the threshold"
    }

    public enum Kind: String, Sendable, Codable { case step, drift, spread }

    /// One change. Indices are positions in the series given to `analyze`.
    public struct Change: Sendable, Equatable {
        public var kind: Kind
        /// Step and spread: the first value at the new level. Drift: the first value of the series.
        public var index: Int
        /// Where `index` may lie (95%): the change came after `location.lowerBound − 1` and by
        /// `location.upperBound`. Drift: the whole series.
        public var location: ClosedRange<Int>
        public var p: Double
        /// Relative change: step, new level / old − 1; drift, over the whole series; spread, the
        /// ratio of the run-to-run spreads − 1. With its 95% interval.
        public var shift: ShiftEstimate
        /// Drift only: relative change per 7 days.
        public var perWeek: ShiftEstimate?
        /// Medians before and after (drift: the fitted line's ends), in the series' units.
        public var before: Double
        public var after: Double
        /// Whether the interval of `shift` reaches the threshold (the change may be that large).
        public var reachesThreshold: Bool
    }

    public struct Analysis: Sendable, Equatable {
        public var changes: [Change]
        /// Indices set aside as outliers.
        public var outliers: [Int]
        public var findings: [Change] { changes.filter(\.reachesThreshold) }
    }

    /// `values` oldest first; `days` the time of each (in days, for the drift's slope per week);
    /// `threshold` the relative change that matters (0.05 = 5%).
    public func analyze(_ values: [Double], days: [Double], threshold: Double) -> Analysis {
        let logScale = values.allSatisfy { $0 > 0 && $0.isFinite }
        let raw = logScale ? values.map { Foundation.log($0) } : values
        let toRelative: (Double) -> Double = logScale ? { Foundation.exp($0) - 1 } : { $0 / max(abs(RobustStatistics.median(values)), .leastNormalMagnitude) }
        let noise = RobustStatistics.differenceScale(raw)
        let outliers = RobustStatistics.hampelOutliers(raw, limit: outlierLimit, floorScale: noise)
        let outlierSet = Set(outliers)
        let kept = raw.indices.filter { !outlierSet.contains($0) }
        let y = kept.map { raw[$0] }, x = kept.map { days[$0] }
        let original = kept.map { values[$0] }
        guard y.count >= 2 * minimumSegment else { return Analysis(changes: [], outliers: outliers) }
        let segmentation = StepSegmentation(alpha: alpha, minimumSegment: minimumSegment, permutations: permutations, seed: seed)
        var changes: [Change] = []

        // Levels (steps or drift), then spread on that model's residuals; when the spread changed,
        // levels again with every spread segment scaled to the same noise, so a noisy stretch does
        // not pass for a step.
        var model = levels(y, x: x, segmentation: segmentation)
        let floor = max(noise * 1e-6, StepSegmentation.resolution)
        var spreadSegmentation = segmentation
        spreadSegmentation.alpha = spreadAlpha
        spreadSegmentation.statistic = .variance
        spreadSegmentation.null = .gaussian
        // Residuals of the level model; when they show nothing, residuals from the running median
        // (a spurious step inside a noisy stretch can hide the spread change from the first).
        var residuals = zip(y, model.fit).map { $0 - $1 }
        var spreadSplits = spreadSegmentation.splits(residuals)
        if spreadSplits.isEmpty {
            let local = zip(y, RobustStatistics.runningMedian(y)).map { $0 - $1 }
            // Residuals from a running median are not independent (the window's own median
            // leaves 0): their null comes from shuffles, not from Gaussian series.
            var shuffled = spreadSegmentation
            shuffled.null = .permutation
            let localSplits = shuffled.splits(local)
            if !localSplits.isEmpty { (residuals, spreadSplits) = (local, localSplits) }
        }
        let spreadBounds = [0] + spreadSplits.map(\.index) + [y.count]
        for (k, s) in spreadSplits.enumerated() {
            let before = residuals[spreadBounds[k]..<s.index].map { Foundation.log(max(abs($0), floor)) }
            let after = residuals[s.index..<spreadBounds[k + 2]].map { Foundation.log(max(abs($0), floor)) }
            let ratio = ShiftEstimate(before: before, after: after).map { Foundation.exp($0) - 1 }
            let range = spreadSegmentation.locationInterval(residuals, spreadBounds[k], s.index, spreadBounds[k + 2])
            changes.append(Change(kind: .spread, index: kept[s.index], location: kept[range.lowerBound]...kept[range.upperBound],
                                  p: s.p, shift: ratio, perWeek: nil,
                                  before: RobustStatistics.median(Array(original[spreadBounds[k]..<s.index])),
                                  after: RobustStatistics.median(Array(original[s.index..<spreadBounds[k + 2]])),
                                  reachesThreshold: ratio.mayExceed(spreadThreshold)))
        }
        if !spreadSplits.isEmpty {
            var z = y
            let scales = (0..<(spreadBounds.count - 1)).map { k in
                max(RobustStatistics.median(residuals[spreadBounds[k]..<spreadBounds[k + 1]].map(abs)), floor)
            }
            let reference = scales.min() ?? 1, center = RobustStatistics.median(y)
            for k in scales.indices {
                for i in spreadBounds[k]..<spreadBounds[k + 1] { z[i] = center + (y[i] - center) * reference / scales[k] }
            }
            model = levels(z, x: x, segmentation: segmentation)
        }

        var sized = y
        if model.isDrift, let trend = TrendTest(x: x, y: y) {
            let span = (x.last ?? 0) - (x.first ?? 0)
            let total = trend.slope.map { toRelative($0 * span) }
            let ends = [x.first ?? 0, x.last ?? 0].map { trend.intercept + trend.slope.estimate * $0 }.map { logScale ? exp($0) : $0 }
            changes.append(Change(kind: .drift, index: kept[0], location: kept[0]...kept[kept.count - 1], p: trend.p,
                                  shift: total, perWeek: trend.slope.map { toRelative($0 * 7) }, before: ends[0], after: ends[1],
                                  reachesThreshold: total.mayExceed(threshold)))
            sized = zip(y, x).map { $0 - trend.slope.estimate * $1 }
        }
        changes += steps(model.splits, y: sized, original: original, kept: kept, threshold: threshold, toRelative: toRelative,
                         segmentation: segmentation)
        return Analysis(changes: changes.sorted { ($0.index, $0.kind.rawValue) < ($1.index, $1.kind.rawValue) }, outliers: outliers)
    }

    /// The level model of a series: its steps, or a drift (with the steps on top of it), and the fit.
    struct LevelModel {
        var splits: [StepSegmentation.Split]
        var isDrift: Bool
        var fit: [Double]
    }

    func levels(_ z: [Double], x: [Double], segmentation: StepSegmentation) -> LevelModel {
        var splits = segmentation.splits(z)
        var slope = 0.0
        var drifts = false
        if TrendTest.p(z) <= driftAlpha, let trend = TrendTest(x: x, y: z), isDrift(z, x: x, splits: splits, trend: trend) {
            drifts = true
            slope = trend.slope.estimate
            splits = segmentation.splits(zip(z, x).map { $0 - slope * $1 })
        }
        let bounds = [0] + splits.map(\.index) + [z.count]
        var fit = z
        for k in 0..<(bounds.count - 1) {
            let range = bounds[k]..<bounds[k + 1]
            let mean = range.reduce(0.0) { $0 + z[$1] - slope * x[$1] } / Double(range.count)
            for i in range { fit[i] = mean + slope * x[i] }
        }
        return LevelModel(splits: splits, isDrift: drifts, fit: fit)
    }

    /// A significant trend is a drift when the values keep trending inside the steps' segments
    /// (pooled Mann-Kendall, p ≤ alpha), or when its line fits better than the steps found (BIC)
    /// and a slope shared by the two levels of the best single split is significant
    /// (`slopeInsideSteps`): a step alone leaves no slope inside its levels. The steps are placed
    /// at their best fit (likelihood maximum) for this comparison.
    private func isDrift(_ z: [Double], x: [Double], splits: [StepSegmentation.Split], trend: TrendTest) -> Bool {
        let placed = [0] + splits.map(\.index) + [z.count]
        let best = splits.indices.map { k in
            StepSegmentation.bestSplit(Array(z[placed[k]..<placed[k + 2]]), minimumSegment: minimumSegment)
                .map { placed[k] + $0.0 } ?? placed[k + 1]
        }
        let bounds = [0] + best.sorted() + [z.count]
        var fit = z
        var s = 0.0, variance = 0.0
        for k in 0..<(bounds.count - 1) {
            let part = z[bounds[k]..<bounds[k + 1]]
            let mean = part.reduce(0, +) / Double(part.count)
            for i in part.indices { fit[i] = mean }
            let (sk, vk) = TrendTest.kendallS(part)
            s += sk
            variance += vk
        }
        let line = x.map { trend.intercept + trend.slope.estimate * $0 }
        if splits.isEmpty { return Self.bic(z, line, parameters: 2) < Self.bic(z, fit, parameters: 1) }
        if TrendTest.p(s: s, variance: variance) <= alpha { return true }
        let stepsCost = Self.bic(z, fit, parameters: 2 * splits.count + 1)
        guard Self.bic(z, line, parameters: 2) < stepsCost else { return false }
        // The line fits better: a drift when the values also slope on both sides of the one best
        // split (a step has no slope inside its two levels; a drift keeps its slope in each).
        guard let (t, _) = StepSegmentation.bestSplit(z, minimumSegment: minimumSegment) else { return true }
        return abs(Self.slopeInsideLevels(z, x: x, split: t)) > slopeInsideSteps
    }

    /// The steps with their sizes; neighbours in one direction that each miss the threshold but
    /// together reach it become one change.
    private func steps(_ splits: [StepSegmentation.Split], y: [Double], original: [Double], kept: [Int], threshold: Double,
                       toRelative: (Double) -> Double, segmentation: StepSegmentation) -> [Change] {
        let bounds = [0] + splits.map(\.index) + [y.count]
        func change(_ first: Int, _ last: Int) -> Change {
            // splits[first...last] as one change: old level before the first, new after the last.
            let a = bounds[first], t0 = bounds[first + 1], t1 = bounds[last + 1], b = bounds[last + 2]
            let shift = ShiftEstimate(before: Array(y[a..<t0]), after: Array(y[t1..<b])).map(toRelative)
            let lo = segmentation.locationInterval(y, a, t0, bounds[first + 2]).lowerBound
            let hi = segmentation.locationInterval(y, bounds[last], t1, b).upperBound
            return Change(kind: .step, index: kept[t1], location: kept[lo]...kept[hi],
                          p: splits[first...last].map(\.p).max() ?? 1, shift: shift, perWeek: nil,
                          before: RobustStatistics.median(Array(original[a..<t0])),
                          after: RobustStatistics.median(Array(original[t1..<b])), reachesThreshold: shift.mayExceed(threshold))
        }
        var out: [Change] = []
        var k = 0
        while k < splits.count {
            var group = change(k, k)
            var last = k
            while last + 1 < splits.count {
                let next = change(last + 1, last + 1)
                guard (next.shift.estimate > 0) == (group.shift.estimate > 0), !group.reachesThreshold || !next.reachesThreshold else { break }
                let merged = change(k, last + 1)
                guard merged.reachesThreshold else { break }
                group = merged
                last += 1
            }
            out.append(group)
            k = last + 1
        }
        return out
    }

    /// The t statistic of one slope shared by `z[..<split]` and `z[split...]`, each with its own
    /// level (least squares on `x`).
    static func slopeInsideLevels(_ z: [Double], x: [Double], split: Int) -> Double {
        let parts = [0..<split, split..<z.count]
        let means = parts.map { r in
            (r.reduce(0.0) { $0 + x[$1] } / Double(r.count), r.reduce(0.0) { $0 + z[$1] } / Double(r.count))
        }
        var sxy = 0.0, sxx = 0.0
        for (r, (mx, my)) in zip(parts, means) {
            for i in r {
                sxy += (x[i] - mx) * (z[i] - my)
                sxx += (x[i] - mx) * (x[i] - mx)
            }
        }
        guard sxx > 0, z.count > 3 else { return 0 }
        let b = sxy / sxx
        var rss = 0.0
        for (r, (mx, my)) in zip(parts, means) {
            for i in r { rss += (z[i] - my - b * (x[i] - mx)) * (z[i] - my - b * (x[i] - mx)) }
        }
        let se = (rss / Double(z.count - 3) / sxx).squareRoot()
        return se > 0 ? b / se : 0
    }

    static func bic(_ y: [Double], _ fit: [Double], parameters: Int) -> Double {
        let n = Double(y.count)
        let rss = max(zip(y, fit).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }, 1e-300)
        return n * Foundation.log(rss / n) + Double(parameters) * Foundation.log(n)
    }
}
