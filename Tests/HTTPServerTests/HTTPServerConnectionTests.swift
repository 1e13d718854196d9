import Foundation
import HTTPServer
import HTTPWire
import NIOCore
import XCTest

/// The seed's correctness cases: keep-alive reuse, max-requests, pipelining order, HTTP/1.0, closes.
final class HTTPServerConnectionTests: XCTestCase {
    func testTwoRequestsOnOneKeepAliveConnectionReachTheHandlerTwice() async throws {
        let f = try await HTTPServerFixture()
        let c = try f.connect()
        c.send(get("/plaintext"))
        XCTAssertEqual(c.response()?.status, 200)
        c.send(get("/plaintext"))
        let second = try XCTUnwrap(c.response())
        XCTAssertEqual(second.status, 200)
        XCTAssertFalse(second.closesConnection)
        let stats = try f.stats()
        XCTAssertEqual(stats["requests"], 2)
        XCTAssertEqual(stats["responses_2xx"], 2)
        XCTAssertEqual(stats["total_connections"], 1)
        XCTAssertEqual(stats["keepalive_reuses"], 1)
        await f.stop()
    }

    func testMaxRequestsClosesAfterExactlyN() async throws {
        for n in [1, 3] {
            let f = try await HTTPServerFixture(["max-requests": "\(n)"])
            let c = try f.connect()
            c.send(String(repeating: get("/plaintext"), count: n + 2))
            let responses = c.responses(n + 2)
            XCTAssertEqual(responses.count, n, "max-requests=\(n)")
            XCTAssertEqual(responses.last?.closesConnection, true)
            XCTAssertEqual(responses.dropLast().filter(\.closesConnection).count, 0)
            XCTAssertTrue(c.waitForClose())
            await f.stop()
        }
    }

    func testPipelinedRequestsAnsweredInOrder() async throws {
        let f = try await HTTPServerFixture()
        let c = try f.connect()
        c.send(get("/delay/100") + get("/json") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\none"
            + get("/bytes/100000") + get("/plaintext") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\ntwo")
        let r = c.responses(6)
        XCTAssertEqual(r.count, 6)
        XCTAssertEqual(r.map(\.bodyLength), [0, 27, 3, 100_000, 13, 3])
        XCTAssertEqual(r[2].body.map { String(buffer: $0) }, "one")
        XCTAssertEqual(r[5].body.map { String(buffer: $0) }, "two")
        await f.stop()
    }

    func testConnectionCloseAndKeepAliveOff() async throws {
        let f = try await HTTPServerFixture()
        let c = try f.connect()
        c.send(get("/plaintext", "Connection: close\r\n") + get("/plaintext"))
        let r = c.responses(2)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r.first?.closesConnection, true)
        XCTAssertTrue(c.waitForClose())
        await f.stop()

        let off = try await HTTPServerFixture(["keepalive": "off"])
        let c2 = try off.connect()
        c2.send(get("/plaintext"))
        XCTAssertEqual(c2.response()?.closesConnection, true)
        XCTAssertTrue(c2.waitForClose())
        await off.stop()
    }

    func testHTTP10Semantics() async throws {
        let f = try await HTTPServerFixture()
        let c = try f.connect()
        c.send("GET /plaintext HTTP/1.0\r\n\r\n")
        XCTAssertEqual(c.response()?.closesConnection, true)
        XCTAssertTrue(c.waitForClose())

        let k = try f.connect()
        k.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let first = try XCTUnwrap(k.response())
        XCTAssertEqual(first.headerValue("connection"), "keep-alive")
        k.send("GET /bytes/10?chunked=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let second = try XCTUnwrap(k.response())
        XCTAssertEqual(second.framing, .contentLength(10), "no chunked responses to HTTP/1.0 clients")
        await f.stop()
    }
}

/// Big request and response bodies must not stay attached to keep-alive connections.
final class HTTPServerMemoryTests: XCTestCase {
    func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testLargeEchoBodiesAreNotRetainedPerConnection() async throws {
        let f = try await HTTPServerFixture(["max-body": "8MiB"])
        let body = String(repeating: "e", count: 4 << 20)
        let connections = try (0..<8).map { _ in try f.connect() }
        let before = residentBytes()
        for c in connections {
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
            XCTAssertEqual(c.response()?.bodyLength, 4 << 20)
        }
        // The connections stay open; what they hold now is what a keep-alive benchmark would keep.
        let growth = residentBytes() - before
        XCTAssertLessThan(growth, 40 << 20, "8 idle keep-alive connections hold \(growth >> 20) MiB after one 4 MiB echo each")
        await f.stop()
    }
}
