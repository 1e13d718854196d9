import Broker
import Foundation
import NATSWire
import NIOCore
import XCTest

/// Starts a broker on 127.0.0.1 with `options`, runs `body(port, statsPort)`, stops the broker.
func withBroker(_ options: [String: String] = [:], _ body: (Int, Int) throws -> Void) async throws {
    let server = BrokerServer(options: try BrokerOptions(options: options))
    let (port, statsPort) = try await server.start()
    do {
        try body(port, statsPort)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

let quiet = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true}\r\n"

final class BrokerProtocolTests: XCTestCase {
    func testInfoOnConnectAndPingPong() async throws {
        try await withBroker(["max-payload": "4096"]) { port, _ in
            let c = try RawNATSConnection(port: port)
            XCTAssertEqual(c.info["port"] as? Int, port)
            XCTAssertEqual(c.info["max_payload"] as? Int, 4096)
            XCTAssertEqual(c.info["proto"] as? Int, 1)
            XCTAssertEqual(c.info["headers"] as? Bool, true)
            XCTAssertNotNil(c.info["server_id"] as? String)
            XCTAssertNotNil(c.info["version"] as? String)
            XCTAssertEqual(c.info["host"] as? String, "127.0.0.1")
            try c.send("PING\r\n")
            XCTAssertEqual(try c.next(), .pong)
            try c.send("ping\n")
            XCTAssertEqual(try c.next(), .pong)
        }
    }

    func testVerboseByDefaultAndAfterConnect() async throws {
        try await withBroker { port, _ in
            // Like nats-server, a connection is verbose until CONNECT says otherwise.
            let c = try RawNATSConnection(port: port)
            try c.send("SUB a 1\r\nPUB a 1\r\nx\r\nUNSUB 1\r\n")
            let ops = try c.roundTrip()
            XCTAssertEqual(ops.filter { $0 == .ok }.count, 3, "\(ops)")
            XCTAssertEqual(ops.compactMap(\.payloadText), ["x"])

            let v = try RawNATSConnection(port: port)
            try v.send("CONNECT {\"verbose\":true}\r\n")
            XCTAssertEqual(try v.next(), .ok)
            try v.send(quiet)
            XCTAssertEqual(try v.roundTrip(), [], "verbose off: nothing but the PONG")
        }
    }

    func testWildcardsDeliverToEveryMatchingSubscription() async throws {
        try await withBroker { port, _ in
            let sub = try RawNATSConnection(port: port)
            try sub.send(quiet + "SUB a.* 1\r\nSUB a.> 2\r\nSUB a.b.c 3\r\nSUB *.b 4\r\nSUB > 5\r\n")
            _ = try sub.roundTrip()
            let pub = try RawNATSConnection(port: port)
            try pub.send(quiet + "PUB a.b 2\r\nab\r\nPUB a.b.c 3\r\nabc\r\nPUB x.b 2\r\nxb\r\nPUB a 1\r\na\r\n")
            _ = try pub.roundTrip()
            let got = try sub.roundTrip()
            var bySid: [UInt64: [String]] = [:]
            for op in got { bySid[op.msgSid ?? 0, default: []].append(op.payloadText ?? "") }
            XCTAssertEqual(bySid[1], ["ab"])
            XCTAssertEqual(bySid[2], ["ab", "abc"])
            XCTAssertEqual(bySid[3], ["abc"])
            XCTAssertEqual(bySid[4], ["ab", "xb"])
            XCTAssertEqual(bySid[5], ["ab", "abc", "xb", "a"])
            XCTAssertEqual(got.count, 10)
        }
    }

    func testQueueGroupGivesEachMessageToExactlyOneMember() async throws {
        try await withBroker { port, _ in
            let members = try (0..<3).map { _ in try RawNATSConnection(port: port) }
            for (i, m) in members.enumerated() {
                try m.send(quiet + "SUB work workers \(i + 1)\r\n")
                _ = try m.roundTrip()
            }
            let watcher = try RawNATSConnection(port: port)
            try watcher.send(quiet + "SUB work 9\r\n")
            _ = try watcher.roundTrip()
            let pub = try RawNATSConnection(port: port)
            var text = quiet
            for i in 0..<30 { text += "PUB work \(String(i).utf8.count)\r\n\(i)\r\n" }
            try pub.send(text)
            _ = try pub.roundTrip()
            var seen: [String] = []
            for m in members {
                let got = try m.roundTrip().compactMap(\.payloadText)
                XCTAssertGreaterThan(got.count, 0, "every member gets a share")
                seen += got
            }
            XCTAssertEqual(seen.sorted(), (0..<30).map(String.init).sorted(), "each message to exactly one member")
            XCTAssertEqual(try watcher.roundTrip().count, 30, "a plain subscriber still gets everything")
        }
    }

    func testUnsubWithMaxCountsMessagesAlreadyDelivered() async throws {
        try await withBroker { port, statsPort in
            let sub = try RawNATSConnection(port: port)
            try sub.send(quiet + "SUB a 1\r\nSUB b 2\r\n")
            _ = try sub.roundTrip()
            let pub = try RawNATSConnection(port: port)
            try pub.send(quiet + String(repeating: "PUB a 1\r\nx\r\n", count: 2) + String(repeating: "PUB b 1\r\ny\r\n", count: 3))
            _ = try pub.roundTrip()
            XCTAssertEqual(try sub.roundTrip().count, 5)
            // sid 1 had 2, so max 5 allows 3 more; sid 2 already had 3 >= 2, so it ends now.
            try sub.send("UNSUB 1 5\r\nUNSUB 2 2\r\n")
            _ = try sub.roundTrip()
            try pub.send(String(repeating: "PUB a 1\r\nx\r\nPUB b 1\r\ny\r\n", count: 10))
            _ = try pub.roundTrip()
            let after = try sub.roundTrip()
            XCTAssertEqual(after.filter { $0.msgSid == 1 }.count, 3)
            XCTAssertEqual(after.filter { $0.msgSid == 2 }.count, 0)
            XCTAssertEqual(try brokerStats(port: statsPort)["subscriptions"], 0)
        }
    }

    func testMaxPayloadViolationSendsErrAndCloses() async throws {
        try await withBroker(["max-payload": "100"]) { port, _ in
            let c = try RawNATSConnection(port: port)
            try c.send(quiet + "PUB ok 100\r\n" + String(repeating: "z", count: 100) + "\r\n")
            XCTAssertEqual(try c.roundTrip(), [])
            try c.send("PUB foo 101\r\n")
            XCTAssertEqual(try c.next(), .err("Maximum Payload Violation"))
            XCTAssertTrue(c.closedByPeer())
        }
    }

    func testIllegalSubjects() async throws {
        try await withBroker { port, _ in
            let c = try RawNATSConnection(port: port)
            try c.send(quiet + "SUB foo..bar 1\r\nSUB foo.>.x 2\r\nSUB foo.* 3\r\n")
            XCTAssertEqual(try c.roundTrip(), [.err("Invalid Subject"), .err("Invalid Subject")], "the connection stays open")
            let p = try RawNATSConnection(port: port)
            try p.send("CONNECT {\"verbose\":false,\"pedantic\":true}\r\nPUB foo.* 1\r\nx\r\nPUB foo.ok 1\r\ny\r\n")
            XCTAssertEqual(try p.roundTrip(), [.err("Invalid Publish Subject")])
        }
    }

    func testParserErrorsSendUnknownProtocolOperationAndClose() async throws {
        try await withBroker { port, _ in
            for bad in ["FOO bar\r\n", "PUB foo 5\r\nhelloX\r\n", "\r\n"] {
                let c = try RawNATSConnection(port: port)
                try c.send(quiet + bad)
                XCTAssertEqual(try c.next(), .err("Unknown Protocol Operation"), bad.debugDescription)
                XCTAssertTrue(c.closedByPeer(), bad.debugDescription)
            }
            let long = try RawNATSConnection(port: port)
            try long.send(quiet + "PUB " + String(repeating: "a", count: 5000) + " 1\r\n")
            XCTAssertEqual(try long.next(), .err("maximum control line exceeded"))
            XCTAssertTrue(long.closedByPeer())
        }
    }

    func testHeadersReachHeaderAwareSubscribersAsHMSG() async throws {
        try await withBroker { port, _ in
            let h = try RawNATSConnection(port: port)
            try h.send(quiet + "SUB h.* 1\r\n")
            _ = try h.roundTrip()
            let plain = try RawNATSConnection(port: port)
            try plain.send("CONNECT {\"verbose\":false,\"headers\":false}\r\nSUB h.* 7\r\n")
            _ = try plain.roundTrip()
            let pub = try RawNATSConnection(port: port)
            try pub.send(quiet + "HPUB h.x reply.1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n")
            _ = try pub.roundTrip()
            XCTAssertEqual(try h.roundTrip(), [.hmsg(subject: buf("h.x"), sid: 1, reply: buf("reply.1"),
                                                      headers: buf("NATS/1.0\r\n\r\n"), payload: buf("hi"))])
            XCTAssertEqual(try plain.roundTrip(), [.msg(subject: buf("h.x"), sid: 7, reply: buf("reply.1"), payload: buf("hi"))])
        }
    }

    func testOptionErrorsNameTheKey() {
        XCTAssertThrowsError(try BrokerOptions(options: ["flush": "sometimes"])) {
            XCTAssertEqual("\($0)", "broker option flush=sometimes: expected immediate, batched or read")
        }
        XCTAssertThrowsError(try BrokerOptions(options: ["dispatch-cache": "maybe"])) { XCTAssertTrue("\($0)".contains("dispatch-cache")) }
        XCTAssertThrowsError(try BrokerOptions(options: ["max-pending": "-1"])) { XCTAssertTrue("\($0)".contains("max-pending=-1")) }
        XCTAssertThrowsError(try BrokerOptions(options: ["colour": "red"])) { XCTAssertTrue("\($0)".contains("colour")) }
        XCTAssertEqual(BrokerOptions.declared.names,
                       ["flush", "dispatch-cache", "dispatch-cache-size", "max-payload", "max-pending", "slow-consumer", "write-deadline", "ping-interval", "max-pings", "user", "pass", "token",
             "auth-timeout", "lame-duck-duration", "lame-duck-grace-period", "threads", "handicap-ns"])
    }
}

func buf(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }
