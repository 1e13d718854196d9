import Foundation
import HTTPServer
import HTTPWire
import NIOCore
import XCTest

/// Issue 11 points 1-5 against a real server on 127.0.0.1 with raw sockets: back-pressure, chunk
/// syntax, body and send timeouts, no truncation on close, and the RFC points.
final class HTTPServerHardeningTests: XCTestCase {
    /// Resident memory of this process (the server runs in it), from /proc/self/status.
    func residentKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try XCTUnwrap(Int(line.split(separator: " ")[1]))
    }

    /// Point 1: 20000 pipelined `GET /bytes/16384` (328 MB of responses) that the client does not read.
    func testPipelinedRequestsFromAClientThatDoesNotReadKeepMemoryBounded() async throws {
        for pool in ["on", "off"] {
            try await pipelineWithoutReading(bufferPool: pool)
        }
    }

    func pipelineWithoutReading(bufferPool: String) async throws {
        let f = try await HTTPServerFixture(["buffer-pool": bufferPool])
        let c = try RawHTTPConnection(port: f.port, timeoutSeconds: 10, collect: false)
        let count = 20_000
        let before = try residentKiB()
        let request = "GET /bytes/16384 HTTP/1.1\r\nHost: a\r\n\r\n"
        _ = BackgroundSender(fd: c.fd, text: String(repeating: request, count: count))
        try await Task.sleep(nanoseconds: 2_000_000_000)
        let during = try residentKiB()
        let stalled = try f.stats()
        XCTAssertLessThan(stalled["requests"] ?? 0, count, "buffer-pool=\(bufferPool): parsing must stop while the output is not read")
        XCTAssertGreaterThan(stalled["backpressure_pauses"] ?? 0, 0)
        XCTAssertLessThan(during - before, 64 * 1024, "buffer-pool=\(bufferPool): RSS grew \(during - before) KiB with nothing read")
        let responses = c.responses(count)
        XCTAssertEqual(responses.count, count, "every request is answered once the client reads")
        XCTAssertEqual(responses.last?.bodyLength, 16384)
        XCTAssertLessThan(try residentKiB() - before, 64 * 1024)
        await f.stop()
    }

    /// Point 1: requests behind a streamed response the client does not read stay in the kernel.
    func testInputIsHeldBackWhileAStreamedResponseWaits() async throws {
        let f = try await HTTPServerFixture()
        let c = try RawHTTPConnection(port: f.port, timeoutSeconds: 10, collect: false)
        let flood = get("/bytes/10485760") + String(repeating: get("/plaintext"), count: 400_000)
        let sender = BackgroundSender(fd: c.fd, text: flood)
        try await Task.sleep(nanoseconds: 1_500_000_000)
        XCTAssertEqual(try f.stats()["requests"], 1)
        XCTAssertFalse(sender.finished, "the server stopped reading, so 16 MB cannot all be sent")
        XCTAssertEqual(c.response()?.bodyLength, 10_485_760)
        let more = c.responses(1000)
        XCTAssertEqual(more.count, 1000)
        XCTAssertEqual(more.last?.bodyLength, 13)
        await f.stop()
    }

    /// Point 2: bare CR in a chunk extension or trailer, and HTTP Garden's `41;a=b\r\r`, get 400.
    func testMalformedChunkExtensionsAndTrailersGet400() async throws {
        let f = try await HTTPServerFixture()
        let head = "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let bad = [
            "3;a\rb\r\nabc\r\n0\r\n\r\n",
            "41;a=b\r\r\n" + String(repeating: "x", count: 0x41) + "\r\n0\r\n\r\n",
            "3\r\nabc\r\n0\r\nX: a\rb\r\n\r\n",
            "3;a b\r\nabc\r\n0\r\n\r\n",
        ]
        for chunks in bad {
            let c = try f.connect()
            c.send(head + chunks + get("/json"))
            let r = c.responses(2)
            XCTAssertEqual(r.map(\.status), [400], chunks.debugDescription)
            XCTAssertTrue(c.waitForClose())
        }
        let c = try f.connect()
        c.send(head + "3 ; a=\"b c\"\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n")
        let ok = try XCTUnwrap(c.response())
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.body.map { String(buffer: $0) }, "abc")
        XCTAssertEqual(try f.stats()["responses_2xx"], 1)
        await f.stop()
    }

    /// Point 3: a body that stalls gets 408 and a close after `body-timeout`.
    func testStalledBodiesGet408() async throws {
        let f = try await HTTPServerFixture(["body-timeout": "300ms", "header-timeout": "5s", "idle-timeout": "60s"])
        let stalls = [
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n",
        ]
        for request in stalls {
            let c = try f.connect()
            c.send(request)
            let r = c.response()
            XCTAssertEqual(r?.status, 408, request.debugDescription)
            XCTAssertTrue(r?.body.map { String(buffer: $0) }?.contains("request body") ?? false)
            XCTAssertTrue(c.waitForClose())
        }
        // A body that keeps arriving, however slowly, is not cut off.
        let slow = try f.connect()
        slow.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
        for byte in "hello" {
            try await Task.sleep(nanoseconds: 150_000_000)
            slow.send(String(byte))
        }
        XCTAssertEqual(slow.response()?.body.map { String(buffer: $0) }, "hello")
        XCTAssertEqual(try f.stats()["errors_408"], 3)
        await f.stop()
    }

    func testBodyAndSendTimeoutOptions() throws {
        let defaults = try HTTPServerOptions(options: [:])
        XCTAssertEqual(defaults.bodyTimeoutSeconds, 10)
        XCTAssertEqual(defaults.sendTimeoutSeconds, 30)
        let set = try HTTPServerOptions(options: ["body-timeout": "250ms", "send-timeout": "2m"])
        XCTAssertEqual(set.bodyTimeoutSeconds, 0.25, accuracy: 1e-9)
        XCTAssertEqual(set.sendTimeoutSeconds, 120)
        for key in ["body-timeout", "send-timeout"] {
            XCTAssertThrowsError(try HTTPServerOptions(options: [key: "0s"])) { error in
                XCTAssertTrue("\(error)".contains(key), "\(error)")
            }
            XCTAssertNotNil(HTTPServerOptions.declared.option(named: key), "\(key) is declared (surge list shows it)")
        }
    }

    /// Point 3: a client that never reads a 10 MiB response is closed after `send-timeout`.
    func testClientThatNeverReadsIsClosedAfterSendTimeout() async throws {
        let f = try await HTTPServerFixture(["send-timeout": "500ms"])
        let c = try f.connect()
        c.send(get("/bytes/10485760"))
        var stats = try f.stats()
        for _ in 0..<50 where stats["send_timeouts"] == 0 {
            try await Task.sleep(nanoseconds: 100_000_000)
            stats = try f.stats()
        }
        XCTAssertEqual(stats["send_timeouts"], 1)
        XCTAssertEqual(stats["connections"], 0)
        // A client that reads slowly but steadily is not closed.
        let reader = try RawHTTPConnection(port: f.port, collect: false)
        reader.send(get("/bytes/4194304"))
        try await Task.sleep(nanoseconds: 300_000_000)
        XCTAssertEqual(reader.response()?.bodyLength, 4_194_304)
        XCTAssertEqual(try f.stats()["send_timeouts"], 1)
        await f.stop()
    }

    /// Point 4: an 8 MiB echo with `Connection: close`, read only after 3 s, arrives whole.
    func testCloseWaitsForTheLastByteOfALargeResponse() async throws {
        let f = try await HTTPServerFixture()
        let c = try RawHTTPConnection(port: f.port, timeoutSeconds: 10, collect: false)
        let size = 8 << 20
        let body = String(repeating: "e", count: size)
        _ = BackgroundSender(fd: c.fd, text: "POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: \(size)\r\n\r\n" + body)
        try await Task.sleep(nanoseconds: 3_000_000_000)
        let r = c.response()
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual(r?.bodyLength, size)
        XCTAssertTrue(c.waitForClose())
        await f.stop()
    }

    /// Point 4: a half-close after `GET /bytes/10485760` still gets every byte, then a close.
    func testHalfCloseAfterALargeRequestGetsTheWholeResponse() async throws {
        let f = try await HTTPServerFixture()
        for chunked in [false, true] {
            let c = try RawHTTPConnection(port: f.port, timeoutSeconds: 10, collect: false)
            c.send(get("/bytes/10485760" + (chunked ? "?chunked=1" : "")) + get("/bytes/16384"))
            c.shutdownOutput()
            try await Task.sleep(nanoseconds: 500_000_000)
            let r = c.responses(2)
            XCTAssertEqual(r.map(\.bodyLength), [10_485_760, 16384], "chunked \(chunked)")
            XCTAssertTrue(c.waitForClose())
        }
        await f.stop()
    }

    /// Point 4: the idle timer starts when output has been written, not when it was queued.
    func testIdleTimerStartsWhenOutputIsFlushed() async throws {
        let f = try await HTTPServerFixture(["idle-timeout": "300ms"])
        let c = try RawHTTPConnection(port: f.port, timeoutSeconds: 10, collect: false)
        c.send(String(repeating: get("/bytes/16384"), count: 400))
        try await Task.sleep(nanoseconds: 1_500_000_000)
        XCTAssertEqual(c.responses(400).count, 400)
        XCTAssertTrue(c.waitForClose(), "then the idle connection is closed")
        XCTAssertEqual(try f.stats()["idle_timeouts"], 1)
        await f.stop()
    }

    /// Point 5: no 100 Continue to HTTP/1.0 (RFC 9110 §10.1.1); HTTP/1.1 still gets it.
    func testNoContinueForHTTP10() async throws {
        let f = try await HTTPServerFixture()
        let old = try f.connect()
        old.send("POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi")
        let oldBytes = String(decoding: old.readRaw(), as: UTF8.self)
        XCTAssertTrue(oldBytes.hasPrefix("HTTP/1.1 200 OK\r\n"), oldBytes.prefix(40).debugDescription)
        XCTAssertFalse(oldBytes.contains("100 Continue"))
        let new = try f.connect()
        new.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
        XCTAssertTrue(String(decoding: new.readRaw(), as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200"))
        await f.stop()
    }

    /// Point 5: absolute-form targets are served; a Host that is not a host is 400; 16-digit sizes work.
    func testAbsoluteFormHostSyntaxAndLongChunkSizes() async throws {
        let f = try await HTTPServerFixture()
        let c = try f.connect()
        c.send("GET http://127.0.0.1/plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000003\r\nabc\r\n0000000000000000\r\n\r\n")
        let r = c.responses(2)
        XCTAssertEqual(r.map(\.status), [200, 200])
        XCTAssertEqual(r.first?.body.map { String(buffer: $0) }, "Hello, World!")
        XCTAssertEqual(r.last?.body.map { String(buffer: $0) }, "abc")
        let bad = try f.connect()
        bad.send("GET /plaintext HTTP/1.1\r\nHost: a b/c@d\r\n\r\n")
        let answer = bad.response()
        XCTAssertEqual(answer?.status, 400)
        XCTAssertTrue(answer?.body.map { String(buffer: $0) }?.contains("Host") ?? false)
        XCTAssertTrue(bad.waitForClose())
        await f.stop()
    }

    /// Point 5: a partial request that arrives with a complete one gets the header timeout, not the idle one.
    func testPartialNextRequestInTheSameReadGetsTheHeaderTimeout() async throws {
        let f = try await HTTPServerFixture(["header-timeout": "300ms", "idle-timeout": "60s"])
        let c = try f.connect()
        c.send(get("/plaintext") + "GET /plaintext HTTP/1.1\r\nHost: a\r\n")
        let r = c.responses(2)
        XCTAssertEqual(r.map(\.status), [200, 408])
        XCTAssertTrue(c.waitForClose())
        await f.stop()
    }
}
