import Broker
import Synchronization
import Foundation
import SurgeTestKit
import XCTest

/// Issue 14 point 5: user/pass and token authentication, and lame-duck mode, against nats-server.
final class BrokerAuthLameDuckTests: XCTestCase {
    func testUserAndPasswordAreRequiredAsNATSServerRequiresThem() async throws {
        let violation = "-ERR 'Authorization Violation'\r\n"
        try await againstBoth(
            broker: ["user": "alice", "pass": "secret", "auth-timeout": "500ms"],
            natsServer: "authorization { user: alice, password: secret, timeout: 0.5 }\n"
        ) { server in
            let c = try RawNATSConnection(port: server.port)
            XCTAssertEqual(c.info["auth_required"] as? Bool, true, server.name)
            for (sent, expected, closes) in [
                ("CONNECT {\"verbose\":false}\r\nPING\r\n", violation, true),
                ("CONNECT {\"verbose\":false,\"user\":\"alice\",\"pass\":\"x\"}\r\nPING\r\n", violation, true),
                ("SUB a 1\r\nPING\r\n", violation, true),
                ("PING\r\n", violation, true),
                ("CONNECT {\"verbose\":false,\"user\":\"alice\",\"pass\":\"secret\"}\r\nPING\r\n", "PONG\r\n", false),
            ] {
                let got = try exchange(port: server.port, sent)
                XCTAssertEqual(got.text, expected, "\(server.name): \(sent.debugDescription)")
                XCTAssertEqual(got.closed, closes, "\(server.name): \(sent.debugDescription)")
            }
            let silent = try exchange(port: server.port, "", timeout: 2)
            XCTAssertEqual(silent.text, "-ERR 'Authentication Timeout'\r\n", server.name)
            XCTAssertTrue(silent.closed, server.name)
        }
    }

    func testTokenWithNATSPy() async throws {
        let script = """
            import asyncio, sys, nats
            async def main():
                try:
                    await nats.connect(f"nats://127.0.0.1:{sys.argv[1]}", token="wrong", allow_reconnect=False,
                                       max_reconnect_attempts=0, connect_timeout=2)
                    print("wrong token accepted")
                except Exception as e:
                    print("refused", "Authorization Violation" in repr(e) or "authorization" in repr(e).lower())
                nc = await nats.connect(f"nats://127.0.0.1:{sys.argv[1]}", token="s3cret", allow_reconnect=False)
                sub = await nc.subscribe("t")
                await nc.publish("t", b"in")
                print((await sub.next_msg(timeout=2)).data.decode())
                await nc.close()
            asyncio.run(main())
            """
        try await againstBoth(broker: ["token": "s3cret"], natsServer: "authorization { token: s3cret }\n") { server in
            let raw = try exchange(port: server.port, "CONNECT {\"verbose\":false,\"auth_token\":\"s3cret\"}\r\nPING\r\n")
            XCTAssertEqual(raw.text, "PONG\r\n", server.name)
            let out = try NATSPython.run(script, arguments: ["\(server.port)"])
            XCTAssertEqual(out.status, 0, "\(server.name): \(out.stderr)")
            XCTAssertEqual(out.stdout, "refused True\nin\n", server.name)
        }
    }

    /// SIGUSR2's lame duck: clients get an INFO with `"ldm":true` (nats.py calls its lame-duck
    /// callback) and new connections are refused. nats-server's shortest lame duck is 30s, so only
    /// the built-in broker is followed until every client is closed.
    func testLameDuckTellsClientsStopsAcceptingAndClosesThem() async throws {
        let script = """
            import asyncio, sys, nats
            async def main():
                told = asyncio.Event()
                async def ldm():
                    told.set()
                nc = await nats.connect(f"nats://127.0.0.1:{sys.argv[1]}", allow_reconnect=False, lame_duck_mode_cb=ldm)
                print("connected", flush=True)
                await asyncio.wait_for(told.wait(), 10)
                print("lame duck")
                await nc.close()
            asyncio.run(main())
            """
        try await againstBoth(
            broker: ["lame-duck-duration": "1s", "lame-duck-grace-period": "200ms"],
            natsServer: "lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"10s\"\n"
        ) { server in
            let clients = try (0..<2).map { _ in try RawNATSConnection(port: server.port) }
            for c in clients {
                try c.send("CONNECT {\"verbose\":false,\"protocol\":1}\r\n")
                _ = try c.roundTrip()
            }
            let quiet = try RawNATSConnection(port: server.port)  // protocol 0: told nothing
            _ = try quiet.roundTrip()
            let group = DispatchGroup()
            let result = Mutex<SurgeBinary.Output?>(nil)
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                let out = try? NATSPython.run(script, arguments: ["\(server.port)"])
                result.withLock { $0 = out }
            }
            let connected = Date().addingTimeInterval(15)
            while try monitor(port: server.monitorPort, "/varz").json?["connections"] as? Int != 4, Date() < connected {
                usleep(50_000)  // until nats.py is connected too
            }
            let start = Date()
            server.lameDuck()
            for c in clients {
                guard case .info(let json)? = try c.next(timeout: 5) else { return XCTFail("\(server.name): no INFO") }
                XCTAssertTrue(String(buffer: json).contains("\"ldm\":true"), "\(server.name): \(String(buffer: json))")
            }
            XCTAssertThrowsError(try quiet.next(timeout: 0.3), "\(server.name) told a protocol-0 client")
            XCTAssertThrowsError(try RawTCPConnection(port: server.port), "\(server.name) still accepts")
            XCTAssertEqual(group.wait(timeout: .now() + 15), .success, server.name)
            let out = result.withLock { $0 }
            XCTAssertEqual(out?.stdout, "connected\nlame duck\n", "\(server.name): \(out?.stderr ?? "")")
            if !server.isNATSServer {
                for c in clients { XCTAssertTrue(c.closedByPeer(timeout: 3), "lame duck left a client open") }
                XCTAssertLessThan(Date().timeIntervalSince(start), 5)
            }
        }
    }

    /// `surge serve broker` on SIGUSR2: INFO with ldm, the client closed, the process exits 0
    /// (it used to die of the signal at once).
    func testServeExitsZeroAfterLameDuckOnSIGUSR2() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try SurgeBinary.require())
        p.arguments = [
            "serve", "broker", "--port", "0", "--stats-port", "0", "-o", "lame-duck-duration=400ms",
            "-o", "lame-duck-grace-period=100ms",
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let ready = try XCTUnwrap(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        let c = try RawNATSConnection(port: try XCTUnwrap(ready["port"] as? Int))
        try c.send("CONNECT {\"verbose\":false,\"protocol\":1}\r\n")
        _ = try c.roundTrip()
        kill(p.processIdentifier, SIGUSR2)
        guard case .info(let json)? = try c.next(timeout: 5) else { return XCTFail("no lame-duck INFO") }
        XCTAssertTrue(String(buffer: json).contains("\"ldm\":true"))
        XCTAssertTrue(c.closedByPeer(timeout: 5))
        let deadline = Date().addingTimeInterval(5)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        XCTAssertFalse(p.isRunning, "surge serve did not exit after the lame duck")
        if !p.isRunning {
            XCTAssertEqual(p.terminationReason, .exit)
            XCTAssertEqual(p.terminationStatus, 0)
        }
    }
}
