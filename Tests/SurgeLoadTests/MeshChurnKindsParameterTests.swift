import SurgeLoad
import XCTest

/// `mesh.churn`'s `subscriptions` list: the kinds cycle over the subscribers; a wrong one is named.
final class MeshChurnKindsParameterTests: XCTestCase {
    func testSubscriptionKindsParseAndAnUnknownOneIsNamed() throws {
        func make(_ text: String) throws -> MeshChurnWorkload {
            try MeshChurnWorkload(parameters: WorkloadParameters(["subscriptions": .scalar(text)]))
        }
        XCTAssertEqual(try make("plain, wildcard,queue,reply").kinds, [.plain, .wildcard, .queue, .reply])
        XCTAssertEqual(try MeshChurnWorkload(parameters: WorkloadParameters([:])).kinds, [.plain])
        XCTAssertThrowsError(try make("plain,fanin")) { error in
            XCTAssertTrue("\(error)".contains("fanin") && "\(error)".contains("subscriptions"), "\(error)")
        }
        XCTAssertThrowsError(try make(","))
    }
}
