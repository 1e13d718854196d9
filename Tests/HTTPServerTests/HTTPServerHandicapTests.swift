import Foundation
import HTTPServer
import XCTest

/// `-o handicap-ns=N`: the HTTP server busy-waits N ns per request answered (the regression-gate canary).
final class HTTPServerHandicapTests: XCTestCase {
    func testHandicapIsListedDefaultsOffAndRejectsBadValues() throws {
        XCTAssertEqual(try HTTPServerOptions(options: [:]).handicapNanoseconds, 0)
        XCTAssertEqual(try HTTPServerOptions(options: ["handicap-ns": "1000"]).handicapNanoseconds, 1000)
        XCTAssertEqual(HTTPServerOptions.declared.option(named: "handicap-ns")?.defaultText, "0")
        for bad in ["-5", "1ms", "2000000000"] {
            XCTAssertThrowsError(try HTTPServerOptions(options: ["handicap-ns": bad]), bad) { error in
                XCTAssertTrue("\(error)".contains("handicap-ns"), "\(error)")
            }
        }
    }

    /// `count` keep-alive GET /plaintext, one at a time; returns elapsed ns and the 2xx count.
    private func requests(handicap: Int, count: Int) async throws -> (nanoseconds: UInt64, answered: Int) {
        let fixture = try await HTTPServerFixture(["handicap-ns": "\(handicap)"])
        do {
            let c = try fixture.connect()
            var answered = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<count {
                c.send(get("/plaintext"))
                if c.response()?.status == 200 { answered += 1 }
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            await fixture.stop()
            return (elapsed, answered)
        } catch {
            await fixture.stop()
            throw error
        }
    }

    func testHandicapCostsAtLeastItsNanosecondsPerRequest() async throws {
        let count = 100
        let handicap = 1_000_000
        let plain = try await requests(handicap: 0, count: count)
        let slowed = try await requests(handicap: handicap, count: count)
        XCTAssertEqual(plain.answered, count)
        XCTAssertEqual(slowed.answered, count)
        XCTAssertGreaterThanOrEqual(
            slowed.nanoseconds, UInt64(count * handicap),
            "handicapped: \(slowed.nanoseconds) ns; unhandicapped: \(plain.nanoseconds) ns")
        print(
            "http \(count) requests: handicap 0 → \(plain.nanoseconds / 1000) µs, "
                + "\(handicap) ns → \(slowed.nanoseconds / 1000) µs")
    }
}
