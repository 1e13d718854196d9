import Foundation
import SurgeTestKit
import Synchronization
import XCTest

@testable import SurgeRunner

/// Run ids and result files are never shared (issue 11 point 8).
final class RunFileClaimTests: XCTestCase {
    func testASecondClaimOfTheSameIdGetsTheNextFreeOne() throws {
        let dir = SurgeBinary.tempDir("surge-claim") + "/runs"
        let first = RunFileClaim.claim(directory: dir, base: "20261201T120000Z-smoke")
        let second = RunFileClaim.claim(directory: dir, base: "20261201T120000Z-smoke")
        let third = RunFileClaim.claim(directory: dir, base: "20261201T120000Z-smoke")
        XCTAssertEqual(first.runID, "20261201T120000Z-smoke")
        XCTAssertEqual(second.runID, "20261201T120000Z-smoke-2")
        XCTAssertEqual(third.runID, "20261201T120000Z-smoke-3")
        XCTAssertEqual(second.path, "\(dir)/20261201T120000Z-smoke-2.json")
        for claim in [first, second, third] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: claim.path), "claimed by creating it: \(claim.path)")
        }
    }

    func testClaimsFromManyThreadsAtOnceAreAllDistinct() throws {
        let dir = SurgeBinary.tempDir("surge-claim-race")
        let ids = ClaimedIDs()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            ids.add(RunFileClaim.claim(directory: dir, base: "same-second").runID)
        }
        XCTAssertEqual(ids.all.count, 16)
        XCTAssertEqual(Set(ids.all).count, 16, "\(ids.all.sorted())")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).count, 16)
    }
}

private final class ClaimedIDs: Sendable {
    private let ids = Mutex<[String]>([])
    func add(_ id: String) { ids.withLock { $0.append(id) } }
    var all: [String] { ids.withLock { $0 } }
}
