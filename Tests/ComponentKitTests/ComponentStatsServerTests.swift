import Foundation
import NIOCore
import NIOPosix
import SurgeTestKit
import Synchronization
import XCTest

@testable import ComponentKit

/// The stats endpoint every component serves, on a real socket, against well- and ill-behaved clients
/// (issue 11 point 6: HEAD had a body, a silent connection was never timed out, a malformed request
/// was closed without an answer).
final class ComponentStatsServerTests: XCTestCase {
    /// A running endpoint whose counter `requests_answered` counts the snapshots it was asked for.
    final class Endpoint: Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let asked = AskedCount()
        let channel: any Channel
        var port: Int { channel.localAddress?.port ?? 0 }

        init(timeout: TimeAmount = .milliseconds(300)) async throws {
            var limits = ComponentStatsServer.Limits()
            limits.requestTimeout = timeout
            limits.maxHeadBytes = 1024
            let asked = self.asked
            let routes: [String: ComponentStatsServer.Route] = [
                "/healthz": { $0.makeSucceededFuture(#"{"status":"ok"}"#) }
            ]
            channel = try await ComponentStatsServer.bind(
                group: group, host: "127.0.0.1", port: 0, limits: limits, routes: routes
            ) {
                loop in
                let n = asked.value.add(1, ordering: .relaxed).newValue
                return loop.makeSucceededFuture(
                    ComponentStats(
                        counters: ["requests_answered": n], gauges: ["open": 1],
                        info: ["name": "test \"endpoint\""]))
            }
        }

        func stop() async {
            try? await channel.close()
            try? await group.shutdownGracefully()
        }
    }

    /// How many snapshots an endpoint was asked for.
    final class AskedCount: Sendable {
        let value = Atomic<Int>(0)
    }

    private func exchange(_ port: Int, _ request: String, timeout: Double = 3) throws -> (RawHTTPResponse, closed: Bool)
    {
        let c = try RawTCPConnection(port: port)
        try c.send(request)
        let r = c.receiveUntilClosed(timeout: timeout)
        return (RawHTTPResponse(r.text), r.closed)
    }

    func testGetAnswersCountersAndGaugesApartAndCloses() async throws {
        let e = try await Endpoint()
        defer { Task { await e.stop() } }
        for path in ["/", "/stats", "/?pretty=1"] {
            let (r, closed) = try exchange(e.port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            XCTAssertEqual(r.status, 200, r.text)
            XCTAssertTrue(closed, "closed after the answer")
            XCTAssertEqual(r.header("Connection"), "close")
            XCTAssertEqual(r.header("Content-Type"), "application/json")
            XCTAssertEqual(r.header("Content-Length"), "\(r.body.utf8.count)")
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any])
            XCTAssertEqual(object["gauges"] as? [String: Int], ["open": 1])
            XCTAssertNotNil((object["counters"] as? [String: Int])?["requests_answered"])
            XCTAssertEqual(object["info"] as? [String: String], ["name": "test \"endpoint\""])
        }
        XCTAssertEqual(e.asked.value.load(ordering: .relaxed), 3)
    }

    func testAComponentsOwnRouteIsServedAndUnknownPathsListThem() async throws {
        let e = try await Endpoint()
        defer { Task { await e.stop() } }
        let (health, _) = try exchange(e.port, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.body, #"{"status":"ok"}"#)
        let (missing, _) = try exchange(e.port, "GET /connz HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.body, #"{"error":"no such path; paths: / /healthz"}"#)
        XCTAssertEqual(e.asked.value.load(ordering: .relaxed), 0, "the stats snapshot is not taken for other paths")
    }

    func testHeadHasTheHeadersOfGetAndNoBody() async throws {
        let e = try await Endpoint()
        defer { Task { await e.stop() } }
        let (get, _) = try exchange(e.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let (head, closed) = try exchange(e.port, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(head.status, 200)
        XCTAssertTrue(closed)
        XCTAssertEqual(head.body, "", "HEAD must not carry a body")
        XCTAssertTrue(head.text.hasSuffix("\r\n\r\n"), head.text)
        XCTAssertEqual(head.header("Content-Length"), get.header("Content-Length"))
    }

    func testASilentConnectionIsClosedAndAPartialHeadGets408() async throws {
        let e = try await Endpoint(timeout: .milliseconds(300))
        defer { Task { await e.stop() } }
        let silent = try RawTCPConnection(port: e.port)
        let r = silent.receiveUntilClosed(timeout: 5)
        XCTAssertTrue(r.closed, "a connection that sends nothing is closed")
        XCTAssertEqual(r.text, "", "nothing to answer: closed without a response")
        let (partial, closed) = try exchange(e.port, "GET / HTTP/1.1\r\nHost: a\r\n", timeout: 5)
        XCTAssertEqual(partial.status, 408, partial.text)
        XCTAssertTrue(closed)
        XCTAssertEqual(e.asked.value.load(ordering: .relaxed), 0)
    }

    func testEveryMalformedOrRefusedRequestGetsAnAnswer() async throws {
        let e = try await Endpoint()
        defer { Task { await e.stop() } }
        let cases: [(String, Int)] = [
            ("hello\r\n\r\n", 400),
            ("GET /\r\n\r\n", 400),
            ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: b\rc\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n folded\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "y", count: 2000))\r\n\r\n", 431),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 405),
            ("GET /varz HTTP/1.1\r\nHost: a\r\n\r\n", 404),
        ]
        for (request, status) in cases {
            let (r, closed) = try exchange(e.port, request)
            XCTAssertEqual(r.status, status, "\(request.debugDescription) → \(r.text.debugDescription)")
            XCTAssertTrue(closed, request.debugDescription)
            if status != 200 {
                let object = try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: String]
                XCTAssertNotNil(object?["error"], "a JSON reason for \(request.debugDescription): \(r.body)")
            }
        }
        let (post, _) = try exchange(e.port, "POST / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(post.header("Allow"), "GET, HEAD")
        // HTTP/1.0 needs no Host, and a lone LF ends lines (RFC 9112 §2.2).
        XCTAssertEqual(try exchange(e.port, "GET / HTTP/1.0\r\n\r\n").0.status, 200)
        XCTAssertEqual(try exchange(e.port, "GET / HTTP/1.1\nHost: a\n\n").0.status, 200)
        XCTAssertEqual(e.asked.value.load(ordering: .relaxed), 2, "refused requests never reach the component")
    }

    func testABusyPortIsNamedInTheError() async throws {
        let e = try await Endpoint()
        defer { Task { await e.stop() } }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            _ = try await ComponentStatsServer.bind(group: group, host: "127.0.0.1", port: e.port) {
                $0.makeSucceededFuture(ComponentStats())
            }
            XCTFail("a second bind of port \(e.port) succeeded")
        } catch let error as ComponentBindError {
            XCTAssertEqual(error.port, e.port)
            XCTAssertTrue("\(error)".hasPrefix("cannot listen on the stats port 127.0.0.1:\(e.port): "), "\(error)")
            XCTAssertTrue("\(error)".contains("in use"), "\(error)")
        }
        try await group.shutdownGracefully()
    }
}
