import SurgeStats
import XCTest
@testable import SurgeRunner

/// The terminal table's cells: a median with benchstat's ± percentage, or the interval's ends where a
/// percentage says nothing.
final class RunSummaryTableTests: XCTestCase {
    func testAMedianWithItsPercentage() {
        let s = Summary([100, 101, 99, 100, 102, 98])
        XCTAssertEqual(RunSummaryTable.text(s, unit: "msgs/s"), "100 ±\(s.rangeText)")
        XCTAssertTrue(s.rangeText.hasSuffix("%"), s.rangeText)
    }

    /// Six repetitions, two of them 0: benchstat's interval runs from 0, so it prints `± ?`; the table
    /// shows the ends instead.
    func testAnIntervalFromZeroShowsItsEnds() {
        let s = Summary([0, 0, 0.003, 0.0033, 0.0036, 0.0044])
        XCTAssertEqual(s.rangeText, "?", "benchstat's form for this interval")
        let text = RunSummaryTable.text(s, unit: "allocs/op")
        XCTAssertFalse(text.contains("?"), text)
        XCTAssertEqual(text, "\(RunSummaryTable.number(s.center)) (0 to \(RunSummaryTable.number(s.hi)))")
        XCTAssertEqual(RunSummaryTable.text(Summary([0, 0, 2000, 2100, 2200, 2300]), unit: "p99-ns").prefix(1), "2")
    }
}
