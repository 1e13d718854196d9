import Foundation
import SurgeTestKit
import XCTest

/// Connects to `port`, reads the INFO line, sends `text`, and reads until `PONG\r\n` ends what came
/// or the server closes: what came after the INFO, and whether the server closed.
func exchange(port: Int, _ text: String, timeout: Double = 3) throws -> (text: String, closed: Bool) {
    let c = try RawTCPConnection(port: port)
    let info = c.receive(timeout: timeout) { $0.contains(10) }
    guard let lf = info.firstIndex(of: 10) else { throw RawTCPConnection.Failure(description: "no INFO line") }
    try? c.send(text)  // the server may close before it has read everything
    let rest = Array(info[(lf + 1)...]) + c.receive(timeout: timeout) { bytes in
        bytes.count >= 6 && bytes.suffix(6).elementsEqual("PONG\r\n".utf8)
    }
    return (String(decoding: rest, as: UTF8.self), c.peerClosed || c.receiveUntilClosed(timeout: 0.3).closed)
}

/// Issue 14 points 1, 5 (HPUB without headers) and 6: the answers to requests and to malformed
/// input, byte for byte, from the built-in broker and from nats-server.
final class BrokerWireParityTests: XCTestCase {
    static let connect = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true}\r\n"

    /// (what is sent, what comes back after INFO, whether the server then closes)
    static let cases: [(String, String, Bool)] = [
        (connect + "PUB a -1\r\n", "", true),
        (connect + "PUB a abc\r\n", "", true),
        (connect + "PUB a 12345678901234567890\r\n", "", true),
        (connect + "PUB a 1234567890\r\n", "", true),
        (connect + "PUB a 123456789\r\n", "-ERR 'Maximum Payload Violation'\r\n", true),
        (connect + "PUB  1\r\nx\r\n", "", true),
        (connect + "PUB a\r\n", "", true),
        (connect + "PUB\r\n", "-ERR 'Unknown Protocol Operation'\r\n", true),
        ("CONNECT {bad\r\nPING\r\n", "", true),
        ("CONNECT [1]\r\nPING\r\n", "", true),
        (connect + "HPUB a 10 5\r\n", "", true),
        (connect + "SUB a 1\r\nUNSUB 1 abc\r\nPUB a 1\r\nx\r\nPING\r\n", "PONG\r\n", false),
        (connect + "SUB a 1\r\nUNSUB 1 0\r\nPUB a 1\r\nx\r\nPING\r\n", "PONG\r\n", false),
        (connect + "SUB a 1\r\nUNSUB 1 2\r\nPUB a 1\r\nx\r\nPING\r\n", "MSG a 1 1\r\nx\r\nPONG\r\n", false),
        (String(repeating: "x", count: 200_000), "-ERR 'Unknown Protocol Operation'\r\n", true),
        ("PX" + String(repeating: "x", count: 10_000), "-ERR 'Unknown Protocol Operation'\r\n", true),
        ("PUB " + String(repeating: "a", count: 10_000), "-ERR 'maximum control line exceeded'\r\n", true),
        ("PINGxyz\r\n", "PONG\r\n", false),
        (connect + "PUB a 1\r\nxyz\r\n", "-ERR 'Unknown Protocol Operation'\r\n", true),
        (connect + "SUB a\r\nPING\r\n", "", true),
        (connect + "SUB a b c d\r\nPING\r\n", "", true),
        (connect + "UNSUB\r\nPING\r\n", "-ERR 'Unknown Protocol Operation'\r\n", true),
        ("CONNECT {\"verbose\":false}\r\nHPUB a 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n", "", true),
        // point 1: no responders
        (connect + "SUB _INBOX.x 7\r\nPUB nobody _INBOX.x 2\r\nhi\r\nPING\r\n",
         "HMSG _INBOX.x 7 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n", false),
        (connect + "SUB _INBOX.* 7\r\nHPUB nobody _INBOX.x 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n",
         "HMSG _INBOX.x 7 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n", false),
        (connect + "PUB nobody _INBOX.x 2\r\nhi\r\nPING\r\n", "PONG\r\n", false),
        (connect + "SUB svc 1\r\nSUB _INBOX.x 7\r\nPUB svc _INBOX.x 2\r\nhi\r\nPING\r\n",
         "MSG svc 1 _INBOX.x 2\r\nhi\r\nPONG\r\n", false),
        ("CONNECT {\"verbose\":false,\"no_responders\":true}\r\nSUB _INBOX.x 7\r\nPUB nobody _INBOX.x 2\r\nhi\r\nPING\r\n",
         "-ERR 'no responders requires headers support'\r\n", true),
        ("CONNECT {\"verbose\":true,\"headers\":true,\"no_responders\":true}\r\nSUB _INBOX.x 7\r\nPUB n _INBOX.x 2\r\nhi\r\nPING\r\n",
         "+OK\r\n+OK\r\n+OK\r\nHMSG _INBOX.x 7 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n", false),
    ]

    func testMalformedInputAndNoRespondersAnswerAsNATSServerDoes() async throws {
        try await againstBoth { server in
            for (sent, expected, closes) in Self.cases {
                let got = try exchange(port: server.port, sent)
                let shown = sent.count > 80 ? String(sent.prefix(40)) + "…(\(sent.count) bytes)" : sent
                XCTAssertEqual(got.text, expected, "\(server.name): \(shown.debugDescription)")
                XCTAssertEqual(got.closed, closes, "\(server.name) closes: \(shown.debugDescription)")
            }
        }
    }

    /// nats.py's request to a subject nobody serves raises NoRespondersError at once, not after its timeout.
    func testNATSPyRequestGetsNoRespondersAtOnce() async throws {
        let script = """
            import asyncio, sys, time, nats
            from nats.errors import NoRespondersError
            async def main():
                nc = await nats.connect(f"nats://127.0.0.1:{sys.argv[1]}", allow_reconnect=False)
                t = time.monotonic()
                try:
                    await nc.request("nobody.home", b"hi", timeout=5)
                    print("answered")
                except NoRespondersError:
                    print("no-responders %.3f" % (time.monotonic() - t))
                async def serve(m):
                    await m.respond(b"pong:" + m.data)
                await nc.subscribe("svc", cb=serve)
                r = await nc.request("svc", b"x", timeout=5)
                print("reply", r.data.decode())
                await nc.close()
            asyncio.run(main())
            """
        try await againstBoth { server in
            let out = try NATSPython.run(script, arguments: ["\(server.port)"])
            XCTAssertEqual(out.status, 0, "\(server.name): \(out.stderr)")
            let lines = out.stdout.split(separator: "\n")
            XCTAssertTrue(lines.first?.hasPrefix("no-responders") == true, "\(server.name): \(out.stdout)")
            let seconds = lines.first.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 99
            XCTAssertLessThan(seconds, 2, "\(server.name) answered the request only after \(seconds)s")
            XCTAssertEqual(lines.last, "reply pong:x", "\(server.name)")
        }
    }
}
