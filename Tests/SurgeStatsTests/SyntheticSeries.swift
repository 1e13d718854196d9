import Foundation
import SurgeStats

/// Seeded per-run medians like a benchmark history: each run's true level times lognormal
/// run-to-run noise, then six repetitions with 1% lognormal noise inside the run, of which the
/// median is the run's value.
///
/// Each seed's generator starts from the first draw of a generator on that seed, so the series
/// of neighbouring seeds are independent (a state of `seed·γ + c` made seed s+1 the series of
/// seed s moved by one draw, since SplitMix64 steps its state by γ).
enum SyntheticSeries {
    static func normal(_ rng: inout SplitMix64) -> Double {
        let u1 = (Double(rng.next() >> 11) + 1) / 9_007_199_254_740_993.0
        let u2 = Double(rng.next() >> 11) / 9_007_199_254_740_992.0
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// An independent generator for each seed.
    static func generator(seed: UInt64) -> SplitMix64 {
        var first = SplitMix64(seed: seed)
        return SplitMix64(seed: first.next())
    }

    static func medians(seed: UInt64, runs: Int = 60, level: (Int) -> Double, noise: (Int) -> Double = { _ in 0.03 }) -> [Double] {
        var rng = generator(seed: seed)
        return (0..<runs).map { i in
            let run = level(i) * exp(noise(i) * normal(&rng))
            let reps = (0..<6).map { _ in run * exp(0.01 * normal(&rng)) }.sorted()
            return (reps[2] + reps[3]) / 2
        }
    }

    static func days(_ n: Int) -> [Double] { (0..<n).map(Double.init) }
}
