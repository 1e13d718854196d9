import Foundation
import XCTest
@testable import SurgeStats

/// The median's confidence interval, always computed, against benchstat's order table (every row of
/// BENCHSTAT-median-ci-orders.csv, copied beside this file), other levels, and hand-derived summaries.
final class MedianCITests: XCTestCase {
    struct Row {
        var confidence: Double
        var n: Int
        var lo: Int
        var hi: Int
    }

    func csvRows() throws -> [Row] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("median-ci-orders.csv")
        let text = try String(contentsOf: url, encoding: .utf8)
        var rows: [Row] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            guard f.count == 5, let c = Double(f[0]), let n = Int(f[1]), let lo = Int(f[2]), let hi = Int(f[3]) else {
                XCTFail("bad CSV line \(line)")
                continue
            }
            rows.append(Row(confidence: c, n: n, lo: lo, hi: hi))
        }
        return rows
    }

    func testEveryRowOfBenchstatsOrderTable() throws {
        let rows = try csvRows()
        XCTAssertEqual(rows.count, 700)
        for row in rows {
            let ci = MedianCI(n: row.n, confidence: row.confidence)
            XCTAssertEqual(ci.loOrder, row.lo, "lo order at confidence \(row.confidence) n=\(row.n)")
            XCTAssertEqual(ci.hiOrder, row.hi, "hi order at confidence \(row.confidence) n=\(row.n)")
        }
    }

    /// Other confidence levels, computed (no table): orders printed by moremath's `QuantileCI` for
    /// 0.5, 0.75, 0.8 and 0.999 at n = 1...100 (GoVectors/median-ci-orders-other-levels.csv). The
    /// issue's cases — 0.8 at n=27, 0.5 at 28 and 30, 0.75 at 26, 0.999 at 24 and 30 — are among them.
    func testOrdersAtOtherConfidenceLevelsMatchMoremath() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("GoVectors/median-ci-orders-other-levels.csv")
        var checked = 0
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            let (c, n, lo, hi) = (Double(f[0])!, Int(f[1])!, Int(f[2])!, Int(f[3])!)
            let ci = MedianCI(n: n, confidence: c)
            XCTAssertEqual([ci.loOrder, ci.hiOrder], [lo, hi], "confidence \(c) n=\(n)")
            checked += 1
        }
        XCTAssertEqual(checked, 400)
        // The example (the previous exact-PMF computation gave one order off here).
        XCTAssertEqual([MedianCI(n: 27, confidence: 0.8).loOrder, MedianCI(n: 27, confidence: 0.8).hiOrder], [11, 18])
    }

    func testSpotValuesFromBenchstatMd() {
        let expected: [(Int, Int, Int)] = [(6, 1, 6), (7, 1, 7), (8, 1, 7), (9, 2, 8), (10, 2, 9), (11, 2, 9), (12, 3, 10),
                                           (15, 4, 12), (20, 6, 15), (24, 8, 18), (30, 10, 21), (40, 14, 27), (50, 18, 32)]
        for (n, lo, hi) in expected {
            let ci = MedianCI(n: n, confidence: 0.95)
            XCTAssertEqual([ci.loOrder, ci.hiOrder], [lo, hi], "n=\(n)")
        }
        for n in 1...4 { XCTAssertFalse(MedianCI(n: n, confidence: 0.95).isFinite) }
        XCTAssertEqual(MedianCI(n: 5, confidence: 0.95).loOrder, 0)
        XCTAssertEqual(MedianCI.samplesNeeded(confidence: 0.95).n, 6)
        XCTAssertEqual(MedianCI.samplesNeeded(confidence: 0.95).op, ">=")
    }

    func testMedianOddAndEven() {
        XCTAssertEqual(Summary([3, 1, 2]).center, 2)
        // a + 0.5*(b-a), not (a+b)/2: 0.1 and 0.2 give 0.15000000000000002 either way here, so use
        // values where the two differ in the last bit.
        let a = 1.0000000000000002e-06
        let b = 1.4225e-06
        XCTAssertEqual(Summary([b, a, 5, 0]).center, a + 0.5 * (b - a))
        XCTAssertEqual(Summary([1, 2, 3, 4]).center, 2.5)
    }

    func testSixValuesUseMinAndMax() {
        let s = Summary([5.1, 5.3, 5.0, 5.2, 5.6, 5.2])
        XCTAssertEqual(s.center, 5.2)
        XCTAssertEqual(s.lo, 5.0)
        XCTAssertEqual(s.hi, 5.6)
        // max(5.6/5.2 - 1, 1 - 5.0/5.2) = max(0.0769, 0.0385) → "8%"
        XCTAssertEqual(s.rangeText, "8%")
        XCTAssertEqual(s.warnings, [])
    }

    func testTooFewValuesGiveInfiniteIntervalAndBenchstatsWarning() {
        let s = Summary([1, 2, 3, 4, 5])
        XCTAssertEqual(s.lo, -.infinity)
        XCTAssertEqual(s.hi, 5)
        XCTAssertEqual(s.rangeText, "∞")
        XCTAssertEqual(s.warnings, ["need >= 6 samples for confidence interval at level 0.95"])
        XCTAssertEqual(Summary([1, 2, 3, 4, 5], confidence: 0.9).warnings, [])
        XCTAssertEqual(Summary([1, 2, 3, 4], confidence: 0.9).warnings, ["need >= 5 samples for confidence interval at level 0.9"])
    }

    func testRangeTextSignsAndZero() {
        XCTAssertEqual(Summary([-1, 1, 2, 3, 4, 5]).rangeText, "?")
        XCTAssertEqual(Summary([0, 0, 0, 0, 0, 0]).rangeText, "0%")
        // 100 * max(110/100 - 1, 1 - 95/100) = 10.000000000000009 → "10%".
        XCTAssertEqual(Summary([95, 100, 100, 100, 100, 110]).rangeText, "10%")
        // 1 - 87.5/100 = 0.125 exactly: 12.5 rounds half-even at %.0f → "12%" (C/Go printf).
        XCTAssertEqual(Summary([87.5, 100, 100, 100, 100, 100]).rangeText, "12%")
        // 1 - 97.5/100 = 0.025000000000000022 in binary: just above the tie → "3%".
        XCTAssertEqual(Summary([97.5, 100, 100, 100, 100, 100]).rangeText, "3%")
    }

    func testExactSummaryIsModeWithRangeWarning() {
        let s = Summary.exact([101, 100, 101])
        XCTAssertEqual(s.center, 101)
        XCTAssertEqual(s.lo, 100)
        XCTAssertEqual(s.hi, 101)
        XCTAssertEqual(s.rangeText, "1%")
        XCTAssertEqual(s.warnings, ["exact distribution expected, but values range from 100 to 101"])
        XCTAssertEqual(Summary.exact([1_572_864, 1_572_865]).warnings, ["exact distribution expected, but values range from 1.572864e+06 to 1.572865e+06"])
        XCTAssertEqual(Summary.exact([3, 3]).warnings, [])
        // Equal frequencies: the smallest value wins.
        XCTAssertEqual(Summary.exact([2, 1]).center, 1)
    }
}
