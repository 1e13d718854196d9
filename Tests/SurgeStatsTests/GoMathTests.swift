import Foundation
import XCTest
@testable import SurgeStats

/// Go's math functions and moremath's statistics, bit for bit, against vectors printed by Go
/// (GoVectors/: Go 1.19 on amd64 with AVX+FMA, moremath f10218a, the version benchstat pins).
final class GoMathTests: XCTestCase {
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("GoVectors")

    func lines(_ name: String) throws -> [Substring] {
        let text = try String(contentsOf: Self.vectors.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    func bits(_ s: Substring) -> Double { Double(bitPattern: UInt64(s, radix: 16)!) }

    func testLogExpLgammaErfcChooseMatchGoBitForBit() throws {
        var counts: [Substring: Int] = [:]
        for line in try lines("gomath.txt") {
            let f = line.split(separator: " ")
            counts[f[0], default: 0] += 1
            if f[0] == "K" {
                let got = GoMath.choose(Int(f[1])!, Int(f[2])!)
                XCTAssertEqual(got.bitPattern, bits(f[3]).bitPattern, "Choose(\(f[1]), \(f[2]))")
                continue
            }
            let x = bits(f[1])
            let want = bits(f[2])
            let got: Double
            switch f[0] {
            case "L": got = GoMath.log(x)
            case "E": got = GoMath.exp(x)
            case "G": got = GoMath.lgamma(x)
            default: got = GoMath.erfc(x)
            }
            if want.isNaN {
                XCTAssertTrue(got.isNaN, "\(f[0]) of \(x)")
            } else {
                XCTAssertEqual(got.bitPattern, want.bitPattern, "\(f[0]) of \(x): \(got) vs Go \(want)")
            }
        }
        XCTAssertEqual(counts["L"], 1515)
        XCTAssertEqual(counts["E"], 1515)
        XCTAssertEqual(counts["G"], 800)
        XCTAssertEqual(counts["C"], 800)
        XCTAssertEqual(counts["K"], 61 * 62 / 2)
    }

    /// The geomean digits of the issue: Go's Log/Exp give back exactly 7 and 341.75µ's neighbours.
    func testGeoMeanDigitsAreGos() {
        XCTAssertEqual(GeoMean.of([7]), 7)
        XCTAssertEqual(GeoMean.of([341750 * 1e-9, 341750 * 1e-9]), 0.00034174999999999993)
        XCTAssertEqual(GeoMean.of([2e-9]), 1.999999999999998e-09)
        XCTAssertEqual(GeoMean.of([1e-9]), 1.0000000000000007e-09)
    }

    /// Mann-Whitney p-values with ties against moremath's `MannWhitneyUTest`, exact path and normal
    /// approximation, including p > 1 and the "all samples are equal" error.
    func testMannWhitneyWithTiesMatchesMoremath() throws {
        var aboveOne = 0
        var errors = 0
        for line in try lines("utest-ties.txt") {
            let f = line.split(separator: " ")
            let bar = f.firstIndex(of: "|")!
            let x1 = f[..<bar].map { Double($0)! }
            let x2 = f[(bar + 1)..<(f.count - 1)].map { Double($0)! }
            if f.last == "err" {
                XCTAssertThrowsError(try MannWhitneyU(x1, x2), "\(line)")
                errors += 1
                continue
            }
            let want = Double(f.last!)!
            let got = try MannWhitneyU(x1, x2).p
            XCTAssertEqual(got.bitPattern, want.bitPattern, "\(line): got \(got)")
            if want > 1 { aboveOne += 1 }
        }
        XCTAssertGreaterThan(aboveOne, 5)
        XCTAssertGreaterThan(errors, 0)
    }

    /// The issue's examples of exact tests with ties, new sample lower and n_old < n_new.
    func testIssueTwelveTiedExamples() throws {
        let cases: [([Double], [Double], String)] = [
            ([2], [1, 1], "1.333"), ([2, 2], [1, 1, 1], "0.600"),
            ([2, 2, 2, 2], [1, 1, 1, 1, 1], "0.079"), ([2, 2, 3], [2, 2, 2, 2, 2], "1.250"),
        ]
        for (old, new, p) in cases {
            let test = try MannWhitneyU(old, new)
            XCTAssertEqual(test.method, .exactWithTies)
            XCTAssertEqual(GoFloatFormat.fixed(test.p, 3), p, "\(old) vs \(new)")
        }
    }
}
