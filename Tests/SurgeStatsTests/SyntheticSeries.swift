import Foundation
import SurgeStats

/// Seeded per-run medians like a benchmark history: each run's true level times lognormal
/// run-to-run noise, then six repetitions with 1% lognormal noise inside the run, of which the
/// median is the run's value.
enum SyntheticSeries {
    static func normal(_ rng: inout SplitMix64) -> Double {
        let u1 = (Double(rng.next() >> 11) + 1) / 9_007_199_254_740_993.0
        let u2 = Double(rng.next() >> 11) / 9_007_199_254_740_992.0
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    static func medians(seed: UInt64, runs: Int = 60, level: (Int) -> Double, noise: (Int) -> Double = { _ in 0.03 }) -> [Double] {
        var rng = SplitMix64(seed: seed &* 0x9e37_79b9_7f4a_7c15 &+ 12345)
        return (0..<runs).map { i in
            let run = level(i) * exp(noise(i) * normal(&rng))
            let reps = (0..<6).map { _ in run * exp(0.01 * normal(&rng)) }.sorted()
            return (reps[2] + reps[3]) / 2
        }
    }

    static func days(_ n: Int) -> [Double] { (0..<n).map(Double.init) }
}
