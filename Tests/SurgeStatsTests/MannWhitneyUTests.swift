import XCTest
@testable import SurgeStats

/// Mann-Whitney U against distributions worked out by hand from the definitions in BENCHSTAT.md.
final class MannWhitneyUTests: XCTestCase {
    func testExactNoTiesSmallSamples() throws {
        // x entirely below y: U1 = 0; P(U ≤ 0) = 1/C(6,3) = 1/20, two-sided 0.1.
        let a = try MannWhitneyU([1, 2, 3], [4, 5, 6])
        XCTAssertEqual(a.method, .exact)
        XCTAssertEqual(a.u1, 0)
        XCTAssertEqual(a.p, 0.1, accuracy: 1e-15)
        // Interleaved: ranks of x are 1,3,5 → R1 = 9, U1 = 3, U2 = 6. The null counts of U for 3+3
        // are 1,1,2,3,3,3,3,2,1,1 (U = 0…9), so P(U ≤ 3) = 7/20 and p = 0.7.
        let b = try MannWhitneyU([1, 3, 5], [2, 4, 6])
        XCTAssertEqual(b.u1, 3)
        XCTAssertEqual(b.p, 0.7, accuracy: 1e-15)
        // 4+4 separated: 2/C(8,4) = 2/70, benchstat's uTestMinP[4].
        XCTAssertEqual(try MannWhitneyU([1, 2, 3, 4], [5, 6, 7, 8]).p, 0.02857142857142857, accuracy: 1e-16)
        // Symmetric U1 == U2 → exactly 1.
        XCTAssertEqual(try MannWhitneyU([1, 4], [2, 3]).p, 1)
    }

    func testExactWithTiesConditionalOnTiePattern() throws {
        // x = 1,2,2; y = 2,3,4. Tie groups (1)(2,2,2)(3)(4), mid-ranks 1, 3, 5, 6. R1 = 1+3+3 = 7,
        // U1 = 1. Of the C(6,3) = 20 equally likely selections, those with R1 ≤ 7 are {1, two of the
        // three 2s}: 3 ways. p = 2·3/20 = 0.3.
        let t = try MannWhitneyU([1, 2, 2], [2, 3, 4])
        XCTAssertEqual(t.method, .exactWithTies)
        XCTAssertEqual(t.u1, 1)
        XCTAssertEqual(t.p, 0.3, accuracy: 1e-15)
    }

    func testAsymmetricTiesCanExceedOneLikeBenchstat() throws {
        // x = 1,2,2; y = 1,2,2,2: tie groups (1,1)(2×5), mid-ranks 1.5 and 5. R1 = 1.5+5+5 = 11.5,
        // U1 = 5.5, U2 = 6.5. Selections of 3 of 7: {1,2,2}: 2·C(5,2) = 20 with U1 = 5.5;
        // {2,2,2}: C(5,3) = 10 with U1 = 9; {1,1,2}: 5 with U1 = 2. P(U1 ≤ 5.5) = 25/35,
        // p = 50/35 = 10/7 — not clamped.
        let t = try MannWhitneyU([1, 2, 2], [1, 2, 2, 2])
        XCTAssertEqual(t.p, 10.0 / 7.0, accuracy: 1e-14)
        XCTAssertEqual(GoFloatFormat.fixed(t.p, 3), "1.429")
    }

    func testNormalApproximationBeyondTheExactLimit() throws {
        // 51 + 51 distinct values, x all below y: U1 = 0, μ = 1300.5, no ties:
        // σ = √(51·51·103/12) = √22324.5; z = (0 − 1300.5 + 0.5)/σ; p = 2Φ(z).
        let x = (0..<51).map(Double.init)
        let y = (51..<102).map(Double.init)
        let t = try MannWhitneyU(x, y)
        XCTAssertEqual(t.method, .normalApproximation)
        let sigma = (51.0 * 51.0 * 103.0 / 12.0).squareRoot()
        let z = (0 - 1300.5 + 0.5) / sigma
        XCTAssertEqual(t.p, 2 * StandardNormal.cdf(z), accuracy: 1e-300)
        XCTAssertLessThan(t.p, 1e-15)
    }

    func testNormalApproximationWithTieCorrection() throws {
        // 26 + 26 values (over the ties limit of 25) with one tie group of 4 across the samples.
        var x = (0..<26).map { Double($0) }
        var y = (26..<52).map { Double($0) }
        x[24] = 100; x[25] = 100
        y[0] = 100; y[1] = 100
        let t = try MannWhitneyU(x, y)
        XCTAssertEqual(t.method, .normalApproximation)
        // Ranks: the 24 small x's take 1…24; y's 28…51 (24 values) take 25…48; the four 100s share
        // ranks 49…52 (mid-rank 50.5). R1 = (1+…+24) + 2·50.5 = 300 + 101 = 401; U1 = 401 − 351 = 50.
        XCTAssertEqual(t.u1, 50)
        let n = 52.0
        let tie = 4.0 * 4 * 4 - 4
        let sigma = (26.0 * 26 * ((n + 1) - tie / (n * (n - 1))) / 12).squareRoot()
        let z = (50 - 338 + 0.5) / sigma
        XCTAssertEqual(t.p, 2 * min(StandardNormal.cdf(z), 1 - StandardNormal.cdf(z)), accuracy: 1e-18)
    }

    /// benchstat loops forever on a NaN (its ranking never advances); Surge reports it instead.
    func testNaNIsReportedNotRanked() {
        XCTAssertThrowsError(try MannWhitneyU([1, .nan, 2], [3, 4])) { error in
            XCTAssertEqual("\(error)", "sample contains NaN")
        }
    }

    func testErrors() {
        XCTAssertThrowsError(try MannWhitneyU([], [1])) { XCTAssertEqual("\($0)", "sample is too small") }
        XCTAssertThrowsError(try MannWhitneyU([2, 2], [2, 2, 2])) { XCTAssertEqual("\($0)", "all samples are equal") }
    }

    func testSamplesNeededMatchesBenchstat() {
        XCTAssertEqual(MannWhitneyU.samplesNeeded(alpha: 0.05).n, 4)
        XCTAssertEqual(MannWhitneyU.samplesNeeded(alpha: 0.01).n, 5)
        XCTAssertEqual(MannWhitneyU.samplesNeeded(alpha: 1e-9).op, ">")
        XCTAssertEqual(MannWhitneyU.minimumP(n: 5), 0.007936507936507936, accuracy: 1e-18)
    }

    func testGeoMean() {
        XCTAssertEqual(GeoMean.of([1, 4])!, 2, accuracy: 1e-15)
        XCTAssertNil(GeoMean.of([1, 0]))
        XCTAssertNil(GeoMean.of([]))
        XCTAssertEqual(GeoMean.ofRatios([(old: 0, new: 0), (old: 2, new: 8)])!, 2, accuracy: 1e-15)
        XCTAssertNil(GeoMean.ofRatios([(old: 0, new: 1)]))
    }
}
