import Foundation
import XCTest
@testable import SurgeReport

/// `GoSort` leaves equal elements where Go's `sort.Slice` leaves them: permutations printed by Go
/// (GoVectors/sort-slice.txt: keys, then the original indices in sorted order) for lengths 5…2500.
final class GoSortTests: XCTestCase {
    func testPermutationsMatchGoSortSlice() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("GoVectors/sort-slice.txt")
        var checked = 0
        var unstable = 0
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let halves = line.split(separator: "|")
            let keys = halves[0].split(separator: " ").map { Int($0)! }
            let want = halves[1].split(separator: " ").map { Int($0)! }
            var order = Array(keys.indices)
            GoSort.sort(&order) { keys[$0] < keys[$1] }
            XCTAssertEqual(order, want, "n=\(keys.count)")
            XCTAssertEqual(GoSort.indices(sortedBy: keys), want, "indices(sortedBy:), n=\(keys.count)")
            if order != order.sorted(by: { (keys[$0], $0) < (keys[$1], $1) }) { unstable += 1 }
            checked += 1
        }
        XCTAssertEqual(checked, 18)
        XCTAssertGreaterThan(unstable, 10, "most vectors must tell Go's order from a stable sort")
    }
}
