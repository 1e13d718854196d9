import Foundation
import SurgeHistory
import SurgeResults
import SurgeStats
import XCTest
@testable import SurgeReport

/// The 50-cell history through the history store and the weekly report. With
/// SURGE_WEEKLY_FIXTURE_DIR set, also leaves `history-60.sqlite` and `history-365.sqlite` there
/// for Scripts/time-weekly-report (no timing is asserted here: the machine is shared).
final class WeeklyHistoryTimingTests: XCTestCase {
    func testAFiftyCellHistoryFindsOnlyThePlantedStep() throws {
        let end = Date()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weekly-history-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("history.sqlite").path
        try WeeklyHistoryFixture.store(WeeklyHistoryFixture.runs(count: 60, end: end), at: path)
        let runs = try SQLiteHistory(path: path).trendRuns(since: end.addingTimeInterval(-61 * 86400))
        XCTAssertEqual(runs.count, 60)
        let report = WeeklyReport(runs: runs, now: end)
        XCTAssertEqual(report.series.first?.cells.count, 50)
        let found = report.findings.map { "\($0.kind) \($0.cell) \($0.unit) at \($0.firstAtNewLevel.runID)" }
        XCTAssertEqual(report.findings.count, 1, "\(found)")
        let step = try XCTUnwrap(report.regressions.first)
        XCTAssertEqual(step.cell, "Year/publishers=4/payload=256")
        XCTAssertEqual(step.unit, "msgs/s")
        let at = Int(step.firstAtNewLevel.runID.dropFirst(4)) ?? -1
        XCTAssertLessThanOrEqual(abs(at - 40), 1, "\(found)")

        if let out = ProcessInfo.processInfo.environment["SURGE_WEEKLY_FIXTURE_DIR"], !out.isEmpty {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for count in [60, 365] {
                try WeeklyHistoryFixture.store(WeeklyHistoryFixture.runs(count: count, end: end), at: "\(out)/history-\(count).sqlite")
            }
        }
    }
}
