import Foundation
import SurgeTestKit
import XCTest

/// Issue 14 point 2: server PINGs every `ping-interval`; `max-pings` unanswered close the client
/// with `-ERR 'Stale Connection'`; a client that answers stays. Checked against nats-server.
final class BrokerPingTests: XCTestCase {
    static let broker = ["ping-interval": "300ms", "max-pings": "2"]
    static let natsServer = "ping_interval: \"300ms\"\nping_max: 2\n"

    func testSilentClientIsPingedThenClosedAsStale() async throws {
        try await againstBoth(broker: Self.broker, natsServer: Self.natsServer) { server in
            let c = try RawTCPConnection(port: server.port)
            let start = Date()
            try c.send("CONNECT {\"verbose\":false}\r\n")
            let got = c.receiveUntilClosed(timeout: 5)
            let elapsed = Date().timeIntervalSince(start)
            XCTAssertTrue(got.closed, "\(server.name) left a dead client open: \(got.text)")
            let afterInfo = got.text.range(of: "\r\n").map { String(got.text[$0.upperBound...]) } ?? ""
            XCTAssertEqual(afterInfo, "PING\r\nPING\r\n-ERR 'Stale Connection'\r\n", server.name)
            XCTAssertGreaterThan(elapsed, 0.8, server.name)
            XCTAssertLessThan(elapsed, 3, server.name)
        }
    }

    func testClientThatAnswersStaysConnected() async throws {
        try await againstBoth(broker: Self.broker, natsServer: Self.natsServer) { server in
            let c = try RawTCPConnection(port: server.port)
            try c.send("CONNECT {\"verbose\":false}\r\n")
            var pings = 0
            let deadline = Date().addingTimeInterval(1.8)
            while Date() < deadline, !c.peerClosed {
                let chunk = String(decoding: c.receive(timeout: 0.1), as: UTF8.self)
                let n = chunk.components(separatedBy: "PING\r\n").count - 1
                for _ in 0..<n { try c.send("PONG\r\n") }
                pings += n
            }
            XCTAssertFalse(c.peerClosed, "\(server.name) closed a client that answered its PINGs")
            XCTAssertGreaterThanOrEqual(pings, 2, server.name)
        }
    }

    /// nats.py answers the server's PINGs itself: it is still connected after several intervals.
    func testNATSPyAnswersServerPingsAndStays() async throws {
        let script = """
            import asyncio, sys, nats
            async def main():
                nc = await nats.connect(f"nats://127.0.0.1:{sys.argv[1]}", allow_reconnect=False, ping_interval=60)
                await asyncio.sleep(1.6)
                sub = await nc.subscribe("a")
                await nc.publish("a", b"still here")
                msg = await sub.next_msg(timeout=2)
                print(nc.is_connected, msg.data.decode())
                await nc.close()
            asyncio.run(main())
            """
        try await againstBoth(broker: Self.broker, natsServer: Self.natsServer) { server in
            let out = try NATSPython.run(script, arguments: ["\(server.port)"])
            XCTAssertEqual(out.status, 0, "\(server.name): \(out.stderr)")
            XCTAssertEqual(out.stdout, "True still here\n", server.name)
        }
    }
}
