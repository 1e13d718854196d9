import Foundation
import XCTest

@testable import SurgeStats

/// The signed-rank test, Hodges–Lehmann estimate and interval against published values and against
/// brute force over every sign assignment.
final class WilcoxonSignedRankTests: XCTestCase {
    /// R's `?wilcox.test` example (Hollander & Wolfe, depression scale before/after):
    /// `wilcox.test(x, y, paired = TRUE, alternative = "greater", conf.int = TRUE)`: V = 40,
    /// p = 0.01953 (two-sided: twice that), pseudomedian 0.46, one-sided 95% interval from 0.175 —
    /// the lower end of the two-sided 90% interval. The two-sided 95% interval is W(6)…W(40).
    func testHollanderWolfeDepressionExampleMatchesR() {
        let x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
        let y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
        let w = WilcoxonSignedRank(differences: zip(x, y).map { $0 - $1 })
        XCTAssertEqual(w.tPlus, 40)
        XCTAssertTrue(w.exact)
        XCTAssertEqual(w.p, 20.0 / 512, accuracy: 1e-12)
        XCTAssertEqual(w.estimate, 0.46, accuracy: 1e-9)
        XCTAssertEqual(w.lower, 0.01, accuracy: 1e-9)
        XCTAssertEqual(w.upper, 0.786, accuracy: 1e-9)
        XCTAssertEqual(w.achievedConfidence ?? 0, 1 - 20.0 / 512, accuracy: 1e-12)
        let ninety = WilcoxonSignedRank(differences: zip(x, y).map { $0 - $1 }, confidence: 0.90)
        XCTAssertEqual(ninety.lower, 0.175, accuracy: 1e-9)
        XCTAssertEqual(ninety.achievedConfidence ?? 0, 1 - 50.0 / 512, accuracy: 1e-12)
    }

    /// The exact p-value is the share of the 2^n sign assignments whose T+ is as extreme.
    func testExactPValueEqualsBruteForceOverSignAssignments() {
        var rng = SplitMix64(seed: 5)
        for n in 1...12 {
            let d = (0..<n).map { _ in Double(rng.below(10_000) + 1) / 100 * (rng.below(3) == 0 ? -1 : 1) }
            guard Set(d.map(abs)).count == n else { continue }
            let w = WilcoxonSignedRank(differences: d)
            let ranks = d.map { v in Double(d.filter { abs($0) < abs(v) }.count + 1) }
            let observed = zip(d, ranks).reduce(0.0) { $0 + ($1.0 > 0 ? $1.1 : 0) }
            let total = n * (n + 1) / 2
            var low = 0
            var high = 0
            for mask in 0..<(1 << n) {
                let t = (0..<n).reduce(0.0) { $0 + ((mask >> $1) & 1 == 1 ? ranks[$1] : 0) }
                if t <= observed { low += 1 }
                if t >= observed { high += 1 }
            }
            XCTAssertEqual(w.tPlus, observed)
            XCTAssertEqual(
                w.p, min(1, 2 * Double(min(low, high)) / Double(1 << n)), accuracy: 1e-12,
                "n=\(n) T+=\(observed) of \(total)")
        }
    }

    /// Six rounds is the least that gives a 95% interval: [min, max] of the Walsh averages, 96.9%.
    func testSixRoundsGiveTheWalshRangeFiveAreUnbounded() {
        let six = WilcoxonSignedRank(differences: [0.1, 0.3, -0.2, 0.5, 0.4, 0.25])
        XCTAssertEqual(six.lower, -0.2, accuracy: 1e-12)
        XCTAssertEqual(six.upper, 0.5, accuracy: 1e-12)
        XCTAssertEqual(six.achievedConfidence ?? 0, 1 - 2.0 / 64, accuracy: 1e-12)
        let five = WilcoxonSignedRank(differences: [0.1, 0.3, -0.2, 0.5, 0.4])
        XCTAssertEqual(five.lower, -.infinity)
        XCTAssertEqual(five.upper, .infinity)
        XCTAssertNil(five.achievedConfidence)
        XCTAssertEqual(five.estimate, 0.25, accuracy: 1e-12, "the estimate is still the Walsh median")
    }

    func testZerosAndTies() {
        let zeros = WilcoxonSignedRank(differences: [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(zeros.p, 1)
        XCTAssertEqual(zeros.estimate, 0)
        XCTAssertEqual(zeros.lower, 0)
        XCTAssertEqual(zeros.upper, 0)
        // Ties: normal approximation with the tie correction (scipy's method="approx", no continuity
        // correction): d = 1,1,1,2,2,-3 → ranks 2,2,2,4.5,4.5,6; T+ = 15, mean 10.5,
        // var = 6·7·13/24 − (3³−3 + 2³−2)/48 = 22.75 − 0.625.
        let tied = WilcoxonSignedRank(differences: [1, 1, 1, 2, 2, -3])
        XCTAssertFalse(tied.exact)
        XCTAssertEqual(tied.tPlus, 15)
        let z = 4.5 / (22.75 - 0.625).squareRoot()
        XCTAssertEqual(tied.p, erfc(z / 2.0.squareRoot()), accuracy: 1e-12)
    }

    func testLargeSamplesUseTheNormalInterval() {
        var rng = SplitMix64(seed: 9)
        let d = (0..<80).map { _ in 0.05 + Double(rng.below(1000)) / 10_000 - 0.05 }
        let w = WilcoxonSignedRank(differences: d)
        XCTAssertFalse(w.exact)
        XCTAssertLessThan(w.lower, w.estimate)
        XCTAssertGreaterThan(w.upper, w.estimate)
        XCTAssertEqual(WilcoxonSignedRank.normalQuantile(0.975), 1.959964, accuracy: 1e-6)
    }

    func testPairedRatioIsSymmetricAndBandsTheInterval() throws {
        let a = [100.0, 102, 98, 101, 99, 100, 103, 97]
        let b = a.enumerated().map { $1 * (0.80 + Double($0 % 3) * 0.01) }
        let ab = try XCTUnwrap(PairedRatio(a: a, b: b))
        let ba = try XCTUnwrap(PairedRatio(a: b, b: a))
        XCTAssertEqual(ab.ratio * ba.ratio, 1, accuracy: 1e-12)
        XCTAssertEqual(ab.lower * ba.upper, 1, accuracy: 1e-12)
        XCTAssertEqual(ab.roundRatios.count, 8)
        XCTAssertEqual(ab.band(threshold: 0.05), .outside, "a 19% drop is beyond a 5% band")
        XCTAssertEqual(ab.band(threshold: 0.50), .inside)
        XCTAssertEqual(ab.band(threshold: 0.19), .straddling)
        XCTAssertNil(PairedRatio(a: [1, 0], b: [1, 2]), "a zero on one side has no ratio")
        XCTAssertEqual(PairedRatio(a: [0, 0], b: [0, 0])?.ratio, 1)
    }
}
