import Foundation
import SurgeTestKit
import XCTest

/// The shared test support itself: the skip policy and the binary lookup.
final class SurgeTestKitTests: XCTestCase {
    func testSkipsBecomeFailuresOnlyUnderSurgeRequireAll() {
        XCTAssertEqual(SkipPolicy.from(environment: [:]), .skip)
        XCTAssertEqual(SkipPolicy.from(environment: ["SURGE_REQUIRE_ALL": "0"]), .skip)
        XCTAssertEqual(SkipPolicy.from(environment: ["SURGE_REQUIRE_ALL": "1"]), .fail)
    }

    func testRequireOrSkipSkipsWhenSkipsAreAllowed() throws {
        guard SkipPolicy.current == .skip else { return } // under CI a call would record a failure by design
        XCTAssertThrowsError(try requireOrSkip("a reason")) { error in
            XCTAssertTrue(error is XCTSkip, "\(type(of: error))")
        }
    }

    func testTheSurgeBinaryIsFoundAndRuns() throws {
        let r = try SurgeBinary.run(["--version"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }
}
