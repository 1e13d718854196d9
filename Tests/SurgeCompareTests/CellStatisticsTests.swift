import XCTest
@testable import SurgeCompare
import SurgeStats

/// `CellStatistics` gives the same summaries and tests however the cells are split over threads,
/// and the same as computing each cell on its own (`Summary`, `MannWhitneyU`).
final class CellStatisticsTests: XCTestCase {
    /// Tables of seeded random cells: ties, equal samples, zeros, sizes 1-30, an exact table.
    func jobs(seed: UInt64) -> [CellStatistics.Job] {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        return (0..<3).map { t in
            let cells = 600 + next(400)
            let values: [[Double]] = (0..<cells).map { _ in
                let n = 1 + next(30)
                let kind = next(4)
                return (0..<n).map { _ in
                    switch kind {
                    case 0: return 5
                    case 1: return Double(next(3))
                    default: return 100 + Double(next(1000)) / 10
                    }
                }
            }
            let pairs = stride(from: 0, to: cells - 1, by: 2).map { (base: $0, cell: $0 + 1) }
            return CellStatistics.Job(values: values, exact: t == 2, pairs: pairs)
        }
    }

    func testSplitOverThreadsChangesNothing() {
        let input = jobs(seed: 7)
        let serial = CellStatistics.compute(input, alpha: 0.05, confidence: 0.95, workers: 1)
        for workers in [2, 3, 8] {
            let parallel = CellStatistics.compute(input, alpha: 0.05, confidence: 0.95, workers: workers)
            XCTAssertEqual(parallel.count, serial.count)
            for (a, b) in zip(serial, parallel) {
                XCTAssertEqual(a.sorted, b.sorted, "workers \(workers)")
                XCTAssertEqual(a.summaries, b.summaries, "workers \(workers)")
                XCTAssertEqual(a.comparisons.map(\.p), b.comparisons.map(\.p), "workers \(workers)")
                XCTAssertEqual(a.comparisons.map(\.warnings), b.comparisons.map(\.warnings), "workers \(workers)")
            }
        }
    }

    func testEachCellAsComputedAlone() throws {
        let input = jobs(seed: 11)
        let result = CellStatistics.compute(input, alpha: 0.05, confidence: 0.95)
        var tested = 0
        for (job, r) in zip(input, result) {
            XCTAssertEqual(r.summaries.count, job.values.count)
            XCTAssertEqual(r.comparisons.count, job.pairs.count)
            for (i, values) in job.values.enumerated() {
                XCTAssertEqual(r.summaries[i], job.exact ? Summary.exact(values) : Summary(values, confidence: 0.95))
            }
            for (k, pair) in job.pairs.enumerated() {
                let comparison = r.comparisons[k]
                XCTAssertEqual(comparison.n1, job.values[pair.base].count)
                XCTAssertEqual(comparison.n2, job.values[pair.cell].count)
                if job.exact {
                    XCTAssertEqual(comparison.p, 0)
                } else if let test = try? MannWhitneyU(job.values[pair.base], job.values[pair.cell]) {
                    XCTAssertEqual(comparison.p, test.p)
                    tested += 1
                } else {
                    XCTAssertEqual(comparison.p, 1)
                    XCTAssertEqual(comparison.warnings, ["all samples are equal"])
                }
            }
        }
        XCTAssertGreaterThan(tested, 500)
    }
}
