import Broker
import Foundation
import NATSWire
import XCTest

/// `-o handicap-ns=N`: the broker busy-waits N ns per delivered message (the regression-gate canary).
final class BrokerHandicapTests: XCTestCase {
    func testHandicapIsListedDefaultsOffAndRejectsBadValues() throws {
        XCTAssertEqual(try BrokerOptions(options: [:]).handicapNanoseconds, 0)
        XCTAssertEqual(try BrokerOptions(options: ["handicap-ns": "250000"]).handicapNanoseconds, 250_000)
        XCTAssertEqual(BrokerOptions.declared.option(named: "handicap-ns")?.defaultText, "0")
        for bad in ["-1", "fast", "2000000000"] {
            XCTAssertThrowsError(try BrokerOptions(options: ["handicap-ns": bad]), bad) { error in
                XCTAssertTrue("\(error)".contains("handicap-ns"), "\(error)")
            }
        }
    }

    /// `count` request/replies, one at a time: two deliveries each (request to the responder, reply to
    /// the requester). Returns the elapsed nanoseconds and the broker's msgs_out.
    private func requestReplies(handicap: Int, count: Int) async throws -> (nanoseconds: UInt64, delivered: Int?) {
        var result: (UInt64, Int?) = (0, nil)
        try await withBroker(["handicap-ns": "\(handicap)"]) { port, statsPort in
            let responder = try RawNATSConnection(port: port)
            try responder.send(quiet + "SUB svc 1\r\n")
            _ = try responder.roundTrip()
            let requester = try RawNATSConnection(port: port)
            try requester.send(quiet + "SUB inbox 2\r\n")
            _ = try requester.roundTrip()
            let start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<count {
                try requester.send("PUB svc inbox 4\r\n\(String(format: "%04d", i))\r\n")
                guard let request = try responder.next(), request.msgSubject == "svc" else {
                    throw RawNATSConnection.Failure(description: "request \(i) not delivered")
                }
                try responder.send("PUB inbox 4\r\n\(request.payloadText ?? "")\r\n")
                guard let reply = try requester.next(), reply.payloadText == String(format: "%04d", i) else {
                    throw RawNATSConnection.Failure(description: "reply \(i) not delivered")
                }
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            result = (elapsed, try brokerStats(port: statsPort)["msgs_out"])
        }
        return result
    }

    func testHandicapCostsAtLeastItsNanosecondsPerDeliveredMessage() async throws {
        let count = 100
        let handicap = 1_000_000
        let plain = try await requestReplies(handicap: 0, count: count)
        let slowed = try await requestReplies(handicap: handicap, count: count)
        XCTAssertEqual(plain.delivered, 2 * count)
        XCTAssertEqual(slowed.delivered, 2 * count)
        // A lower bound, not a timing comparison: 2 × count deliveries each spin `handicap` ns in turn.
        XCTAssertGreaterThanOrEqual(
            slowed.nanoseconds, UInt64(2 * count * handicap),
            "handicapped run: \(slowed.nanoseconds) ns; unhandicapped: \(plain.nanoseconds) ns")
        print(
            "broker \(count) request/replies: handicap 0 → \(plain.nanoseconds / 1000) µs, "
                + "\(handicap) ns → \(slowed.nanoseconds / 1000) µs")
    }
}
