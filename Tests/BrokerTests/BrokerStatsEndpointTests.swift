import Broker
import Foundation
import SurgeTestKit
import XCTest

/// The broker serves the kit's stats endpoint (issue 11 point 6, checked through the broker itself).
final class BrokerStatsEndpointTests: XCTestCase {
    func testHeadHasNoBodyAndGarbageGetsA400() async throws {
        try await withBroker { port, statsPort in
            let c = try RawNATSConnection(port: port)
            try c.send(quiet + "SUB a 1\r\n")
            _ = try c.roundTrip()
            let head = try RawTCPConnection(port: statsPort)
            try head.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
            let r = RawHTTPResponse(head.receiveUntilClosed().text)
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.body, "")
            XCTAssertNotEqual(r.header("Content-Length"), "0")
            let bad = try RawTCPConnection(port: statsPort)
            try bad.send("\u{16}\u{03}\u{01}\r\n\r\n")  // a TLS hello's first bytes
            XCTAssertEqual(RawHTTPResponse(bad.receiveUntilClosed().text).status, 400)
            let stats = try ComponentStatsReader.sections(port: statsPort)
            XCTAssertEqual(stats.gauges, ["connections": 1, "subscriptions": 1])
            XCTAssertEqual(stats.counters["total_connections"], 1)
        }
    }
}
