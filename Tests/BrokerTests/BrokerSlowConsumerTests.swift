import Dispatch
import Foundation
import SurgeTestKit
import XCTest

/// Issue 14 point 3 and the soak bug: a subscriber slower than its publisher. `slow-consumer=stall`
/// (default, nats-server's way) holds the publisher back and cuts a subscriber that stays behind for
/// `write-deadline`; `cut` cuts at `max-pending` at once.
final class BrokerSlowConsumerTests: XCTestCase {
    static let message = "PUB big 8192\r\n" + String(repeating: "m", count: 8192) + "\r\n"

    /// Publishes `count` 8 KiB messages on `big` from another thread, then a PING; done when the PONG came.
    func publish(port: Int, count: Int) -> DispatchGroup {
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            defer { group.leave() }
            guard let pub = try? RawTCPConnection(port: port) else { return }
            _ = pub.receive(timeout: 3) { $0.contains(10) }
            try? pub.send("CONNECT {\"verbose\":false}\r\n")
            let batch = String(repeating: Self.message, count: 16)
            for _ in 0..<(count / 16) { try? pub.send(batch) }
            try? pub.send("PING\r\n")
            _ = pub.receive(timeout: 30) { $0.count >= 6 && $0.suffix(6).elementsEqual("PONG\r\n".utf8) }
        }
        return group
    }

    func testNeverReadingSubscriberIsCutAtTheWriteDeadlineAndThePublisherGoesOn() async throws {
        try await againstBoth(
            broker: ["max-pending": "1048576", "write-deadline": "1s"],
            natsServer: "max_pending: 1048576\nwrite_deadline: \"1s\"\n"
        ) { server in
            let sub = try RawNATSConnection(port: server.port, receiveBuffer: 4096)
            try sub.send("CONNECT {\"verbose\":false}\r\nSUB big 1\r\n")
            _ = try sub.roundTrip()
            let start = Date()
            let done = publish(port: server.port, count: 1024)  // 8 MiB
            XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "\(server.name): the publisher never got on")
            let elapsed = Date().timeIntervalSince(start)
            XCTAssertTrue(sub.closedByPeer(timeout: 5), "\(server.name) kept the never-reading subscriber")
            let varz = try monitor(port: server.monitorPort, "/varz").json
            XCTAssertEqual(varz?["slow_consumers"] as? Int, 1, "\(server.name): \(varz ?? [:])")
            XCTAssertLessThan(elapsed, 15, server.name)
        }
    }

    /// A subscriber that reads, just slower than the publisher writes: held-back publishing loses
    /// nothing; `cut` loses it as a slow consumer (what the broker did before, always).
    func testStallDeliversEverythingToASlowReaderWhereCutDropsIt() async throws {
        for policy in ["stall", "cut"] {
            try await withBroker(["slow-consumer": policy, "max-pending": "262144", "write-deadline": "5s"]) {
                port, statsPort in
                let sub = try RawNATSConnection(port: port, receiveBuffer: 16384)
                try sub.send("CONNECT {\"verbose\":false}\r\nSUB big 1\r\n")
                _ = try sub.roundTrip()
                let count = 1024  // 8 MiB
                let done = publish(port: port, count: count)
                var received = 0
                let deadline = Date().addingTimeInterval(30)
                while received < count, Date() < deadline, let op = try? sub.next(timeout: 3) {
                    guard op.msgSid == 1 else { continue }
                    received += 1
                    if received % 4 == 0 { usleep(2000) }  // about 16 MB/s: slower than the publisher
                }
                _ = done.wait(timeout: .now() + 10)
                let stats = try brokerStats(port: statsPort)
                if policy == "stall" {
                    XCTAssertEqual(received, count, "stall lost messages")
                    XCTAssertEqual(stats["slow_consumers"], 0)
                } else {
                    XCTAssertLessThan(received, count, "cut delivered everything to a slow reader")
                    XCTAssertEqual(stats["slow_consumers"], 1)
                }
            }
        }
    }
}
