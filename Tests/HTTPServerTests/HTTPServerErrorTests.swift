import Foundation
import HTTPServer
import HTTPWire
import NIOCore
import XCTest

/// Limits, malformed and smuggling requests: the right status, then the connection closed.
final class HTTPServerErrorTests: XCTestCase {
    func answer(_ f: HTTPServerFixture, _ request: String) throws -> (status: Int?, body: String, closed: Bool, responses: Int) {
        let c = try f.connect()
        c.send(request)
        let r = c.responses(3)
        return (r.first?.status, r.first?.body.map { String(buffer: $0) } ?? "", c.waitForClose(), r.count)
    }

    func testLimitsAndMalformedRequests() async throws {
        let f = try await HTTPServerFixture(["max-request-line": "100", "max-header-bytes": "300", "max-headers": "5", "max-body": "1000"])
        let longLine = "GET /" + String(repeating: "a", count: 200) + " HTTP/1.1\r\nHost: t\r\n\r\n"
        let manyHeaders = "GET /plaintext HTTP/1.1\r\nHost: t\r\n" + (0..<6).map { "X-\($0): 1\r\n" }.joined() + "\r\n"
        let bigHeader = "GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Big: " + String(repeating: "b", count: 400) + "\r\n\r\n"
        let cases: [(String, Int, String)] = [
            (longLine, 414, "request line"),
            (manyHeaders, 431, "header lines"),
            (bigHeader, 431, "header section"),
            ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n", 413, "Content-Length 5000"),
            ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + String(repeating: "z", count: 1024) + "\r\n", 413, "chunked body"),
            ("GARBAGE\r\n\r\n", 400, "request line"),
            ("GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505, "HTTP/3.0"),
            ("GET /plaintext HTTP/1.1\r\n\r\n", 400, "Host"),
        ]
        for (request, status, mention) in cases {
            let a = try answer(f, request)
            XCTAssertEqual(a.status, status, request.prefix(60).debugDescription)
            XCTAssertTrue(a.body.contains(mention), "'\(a.body)' should mention '\(mention)'")
            XCTAssertTrue(a.closed, "connection should be closed after \(status)")
        }
        let stats = try f.stats()
        XCTAssertEqual(stats["errors_414"], 1)
        XCTAssertEqual(stats["errors_431"], 2)
        XCTAssertEqual(stats["errors_413"], 2)
        XCTAssertEqual(stats["errors_400"], 2)
        XCTAssertEqual(stats["errors_505"], 1)
        await f.stop()
    }

    /// CL.TE and TE.CL smuggling: the request is refused and the smuggled bytes are never served.
    func testSmugglingAttemptsAreRejected() async throws {
        let f = try await HTTPServerFixture()
        let smuggled = get("/json")
        let attempts = [
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + smuggled,
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\n" + smuggled,
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length : 40\r\n\r\n" + smuggled,
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + smuggled,
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\tchunked\r\n folded: x\r\n\r\n0\r\n\r\n" + smuggled,
            "POST /echo HTTP/1.1\nHost: t\nContent-Length: 0\n\n" + smuggled,
        ]
        for attempt in attempts {
            let a = try answer(f, attempt)
            XCTAssertEqual(a.responses, 1, "exactly one answer to \(attempt.prefix(80).debugDescription)")
            XCTAssertTrue([400, 501].contains(a.status ?? 0), "\(a.status ?? 0) for \(attempt.prefix(80).debugDescription)")
            XCTAssertTrue(a.closed)
        }
        XCTAssertEqual(try f.stats()["responses_2xx"], 0, "no smuggled request was served")
        await f.stop()
    }

    func testSlowlorisGets408AndIdleConnectionsClose() async throws {
        let f = try await HTTPServerFixture(["header-timeout": "300ms", "idle-timeout": "400ms"])
        let slow = try f.connect()
        slow.send("GET /plaintext HTTP/1.1\r\n")
        for _ in 0..<3 {
            try await Task.sleep(nanoseconds: 100_000_000)
            slow.send("X-Drip: 1\r\n")
        }
        let r = slow.response()
        XCTAssertEqual(r?.status, 408)
        XCTAssertTrue(slow.waitForClose())

        let idle = try f.connect()
        idle.send(get("/plaintext"))
        XCTAssertEqual(idle.response()?.status, 200)
        let start = Date()
        XCTAssertTrue(idle.waitForClose())
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.3)
        let stats = try f.stats()
        XCTAssertEqual(stats["errors_408"], 1)
        XCTAssertEqual(stats["idle_timeouts"], 1)
        await f.stop()
    }
}
