import Foundation
import HTTPServer
import SurgeTestKit
import XCTest

/// The HTTP server serves the kit's stats endpoint (issue 11 point 6, checked through the server itself).
final class HTTPServerStatsEndpointTests: XCTestCase {
    func testCountersAndGaugesApartHeadWithoutBodyMalformedGets400() async throws {
        let fixture = try await HTTPServerFixture()
        do {
            let client = try fixture.connect()
            for _ in 0..<3 {
                client.send(get("/plaintext"))
                XCTAssertEqual(client.response()?.status, 200)
            }
            let stats = try ComponentStatsReader.sections(port: fixture.statsPort)
            XCTAssertEqual(stats.gauges, ["connections": 1], "one client connected now")
            XCTAssertEqual(stats.counters["requests"], 3)
            XCTAssertEqual(stats.counters["responses_2xx"], 3)
            XCTAssertNil(stats.counters["connections"])
            let head = try RawTCPConnection(port: fixture.statsPort)
            try head.send("HEAD /stats HTTP/1.1\r\nHost: a\r\n\r\n")
            let r = RawHTTPResponse(head.receiveUntilClosed().text)
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.body, "")
            let bad = try RawTCPConnection(port: fixture.statsPort)
            try bad.send("GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n")
            XCTAssertEqual(RawHTTPResponse(bad.receiveUntilClosed().text).status, 400)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}
