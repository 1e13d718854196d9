import ComponentKit
import Foundation
import HTTPServer
import HTTPWire
import NIOCore
import XCTest

final class HTTPServerRouteTests: XCTestCase {
    func testEveryRoute() async throws {
        for pool in ["on", "off"] {
            let f = try await HTTPServerFixture(["buffer-pool": pool])
            let c = try f.connect()
            c.send(get("/plaintext"))
            let plain = try XCTUnwrap(c.response())
            XCTAssertEqual(plain.status, 200)
            XCTAssertEqual(plain.body.map { String(buffer: $0) }, "Hello, World!")
            XCTAssertEqual(plain.headerValue("content-type"), "text/plain")
            XCTAssertNotNil(plain.headerValue("date"))

            c.send(get("/json"))
            let json = try XCTUnwrap(c.response())
            XCTAssertEqual(json.body.map { String(buffer: $0) }, #"{"message":"Hello, World!"}"#)
            XCTAssertEqual(json.headerValue("content-type"), "application/json")

            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 12\r\n\r\necho me back")
            XCTAssertEqual(c.response()?.body.map { String(buffer: $0) }, "echo me back")

            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n")
            XCTAssertEqual(c.response()?.body.map { String(buffer: $0) }, "abcdefg")

            for n in [0, 100, 20_000, 1_000_000] {
                c.send(get("/bytes/\(n)"))
                let r = try XCTUnwrap(c.response())
                XCTAssertEqual(r.bodyLength, n)
                XCTAssertEqual(r.framing, .contentLength(n))
                c.send(get("/bytes/\(n)?chunked=1"))
                let chunked = try XCTUnwrap(c.response(), "chunked /bytes/\(n)")
                XCTAssertEqual(chunked.bodyLength, n)
                XCTAssertEqual(chunked.framing, .chunked)
            }

            let start = Date()
            c.send(get("/delay/150"))
            XCTAssertEqual(c.response()?.status, 200)
            XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.14)

            let h = try RawHTTPConnection(port: f.port, headRequests: true)
            h.send("HEAD /plaintext HTTP/1.1\r\nHost: t\r\n\r\nHEAD /json HTTP/1.1\r\nHost: t\r\n\r\n")
            let heads = h.responses(2)
            XCTAssertEqual(heads.map(\.status), [200, 200])
            XCTAssertEqual(heads.map(\.bodyLength), [0, 0])
            XCTAssertEqual(heads.first?.headerValue("content-length"), "13")

            let c2 = try f.connect()
            c2.send(get("/nothing-here"))
            XCTAssertEqual(c2.response()?.status, 404)
            c2.send("POST /plaintext HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
            let notAllowed = try XCTUnwrap(c2.response())
            XCTAssertEqual(notAllowed.status, 405)
            XCTAssertEqual(notAllowed.headerValue("allow"), "GET, HEAD")
            c2.send(get("/bytes/abc"))
            XCTAssertEqual(c2.response()?.status, 400)
            let stats = try f.stats()
            XCTAssertEqual(stats["errors_404"], 1)
            XCTAssertEqual(stats["errors_405"], 1)
            XCTAssertEqual(stats["errors_400"], 1)
            await f.stop()
        }
    }

    func testExpectContinue() async throws {
        let f = try await HTTPServerFixture()
        let c = try f.connect()
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        c.send("abc")
        XCTAssertEqual(c.response()?.body.map { String(buffer: $0) }, "abc")
        await f.stop()
    }

    func testStatsEndpointIsOneFlatObjectOfNumbers() async throws {
        let f = try await HTTPServerFixture()
        let c = try f.connect()
        c.send(get("/plaintext") + get("/plaintext"))
        XCTAssertEqual(c.responses(2).count, 2)
        let stats = try f.stats()
        for key in ["requests", "connections", "total_connections", "keepalive_reuses", "responses_2xx", "errors_400", "errors_413", "errors_414", "errors_431"] {
            XCTAssertNotNil(stats[key], "stats lack \(key)")
        }
        XCTAssertEqual(stats["requests"], 2)
        XCTAssertEqual(stats["responses_2xx"], 2)
        XCTAssertEqual(stats["connections"], 1)
        await f.stop()
    }

    func testOptionErrorsNameTheKey() {
        XCTAssertThrowsError(try HTTPServerOptions(options: ["keepalive": "maybe"])) { error in
            XCTAssertEqual((error as? ComponentOptionError)?.key, "keepalive")
            XCTAssertTrue("\(error)".contains("on or off"))
        }
        XCTAssertThrowsError(try HTTPServerOptions(options: ["max-request": "3"])) { error in
            XCTAssertTrue("\(error)".contains("max-requests"), "\(error)")
        }
        XCTAssertThrowsError(try HTTPServerOptions(options: ["max-body": "lots"])) { error in
            XCTAssertEqual((error as? ComponentOptionError)?.key, "max-body")
        }
        XCTAssertEqual(try HTTPServerOptions(options: ["max-body": "2MiB"]).limits.maxBodyBytes, 2 << 20)
        XCTAssertEqual(try HTTPServerOptions(options: ["header-timeout": "250ms"]).headerTimeoutSeconds, 0.25, accuracy: 1e-9)
        XCTAssertEqual(HTTPServerOptions.declared.names.contains("buffer-pool"), true)
    }
}
