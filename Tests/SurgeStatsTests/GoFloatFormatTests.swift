import XCTest
@testable import SurgeStats

final class GoFloatFormatTests: XCTestCase {
    /// Go's `%+.2f`: `+Inf`, `-Inf`, `+NaN` (a delta to an infinite center printed `++Inf%` before).
    func testSignedFixedOfInfinityAndNaN() {
        XCTAssertEqual(GoFloatFormat.signedFixed(.infinity, 2), "+Inf")
        XCTAssertEqual(GoFloatFormat.signedFixed(-.infinity, 2), "-Inf")
        XCTAssertEqual(GoFloatFormat.signedFixed(.nan, 2), "+NaN")
        XCTAssertEqual(GoFloatFormat.signedFixed(0.5, 2), "+0.50")
    }

    func testGoFloatFormatting() {
        XCTAssertEqual(GoFloatFormat.shortest(999999), "999999")
        XCTAssertEqual(GoFloatFormat.shortest(1e6), "1e+06")
        XCTAssertEqual(GoFloatFormat.shortest(1.5e6), "1.5e+06")
        XCTAssertEqual(GoFloatFormat.shortest(0.0001), "0.0001")
        XCTAssertEqual(GoFloatFormat.shortest(1e-05), "1e-05")
        XCTAssertEqual(GoFloatFormat.shortest(0), "0")
        XCTAssertEqual(GoFloatFormat.shortest(1448.1546878700494), "1448.1546878700494")
        XCTAssertEqual(GoFloatFormat.shortest(1000 * 1e-9), "1.0000000000000002e-06")
        XCTAssertEqual(GoFloatFormat.shortest(5e-324), "5e-324")
        XCTAssertEqual(GoFloatFormat.shortest(0.95), "0.95")
        XCTAssertEqual(GoFloatFormat.fixed(0.5, 0), "0")
        XCTAssertEqual(GoFloatFormat.fixed(2.5, 0), "2")
        XCTAssertEqual(GoFloatFormat.signedFixed(-0.0001, 2), "-0.00")
        XCTAssertEqual(GoFloatFormat.signedFixed(0.0001, 2), "+0.00")
    }

    /// The shortest-digits fast path must agree with C's printf everywhere.
    func testFixedAgreesWithPrintf() {
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<50_000 {
            let magnitude = Double.random(in: -12...12, using: &generator)
            var v = pow(10, magnitude) * (Bool.random(using: &generator) ? 1 : -1)
            if Bool.random(using: &generator) { v = (v * 1000).rounded() / 1000 }
            for precision in [0, 1, 2, 3, 5] {
                XCTAssertEqual(GoFloatFormat.fixed(v, precision), GoFloatFormat.printfFixed(v, precision), "\(v) %.\(precision)f")
                checked += 1
            }
        }
        for v in [0.5, 1.5, 2.5, 0.125, 0.375, 1.005, 2.675, 0.045, 99.995, 9.9995, 0.0, -0.0, 1e22, 123456789012345678.0, 5e-324] {
            for precision in 0...4 {
                XCTAssertEqual(GoFloatFormat.fixed(v, precision), GoFloatFormat.printfFixed(v, precision), "\(v) %.\(precision)f")
            }
        }
        XCTAssertEqual(checked, 250_000)
    }
}
