import Foundation
import HTTPServer
import NIOCore
import NIOPosix
import SurgeLoad
import XCTest

final class HTTPLoadDriverTests: XCTestCase {
    func startServer(_ options: [String: String] = [:]) async throws -> (HTTPServer, Int, Int) {
        let server = HTTPServer(options: try HTTPServerOptions(options: ["threads": "1"].merging(options) { $1 }))
        let (port, stats) = try await server.start()
        return (server, port, stats)
    }

    func testRegistered() {
        XCTAssertNotNil(WorkloadRegistry.type(forKind: "http.closed"))
        XCTAssertNotNil(WorkloadRegistry.type(forKind: "http.open"))
    }

    func testClosedLoopRequestCountIsExact() async throws {
        let (server, port, statsPort) = try await startServer()
        let outcome = try await runWorkload("http.closed", ["connections": "8", "pipeline": "4", "requests": "5001"], port: port)
        XCTAssertEqual(outcome.operations, 5001)
        XCTAssertEqual(outcome.failures, [])
        XCTAssertEqual(outcome.metrics["errors"], 0)
        XCTAssertEqual(outcome.latency?.totalCount, 5001)
        XCTAssertGreaterThan(outcome.metrics["req/s"] ?? 0, 0)
        for key in ["p50-ns", "p90-ns", "p99-ns", "p99.9-ns", "max-ns", "ns/op"] { XCTAssertNotNil(outcome.metrics[key], key) }
        let stats = try await serverStats(statsPort)
        XCTAssertEqual(stats["requests"], 5001, "the server saw exactly the requests the driver counted")
        XCTAssertEqual(stats["total_connections"], 8)
        await server.stop()
    }

    func testClosedLoopPostWithBodyHeadersAndLengthCheck() async throws {
        let (server, port, statsPort) = try await startServer()
        let outcome = try await runWorkload(
            "http.closed", ["connections": "2", "requests": "300", "method": "POST", "path": "/echo", "body": "1KiB", "length": "1024"],
            port: port, headers: ["X-Test: yes", "Accept: */*"])
        XCTAssertEqual(outcome.operations, 300)
        XCTAssertEqual(outcome.failures, [])
        let stats = try await serverStats(statsPort)
        XCTAssertEqual(stats["body_bytes_received"], 300 * 1024)
        await server.stop()
    }

    func testReconnectsWhenTheServerClosesConnections() async throws {
        for options in [["keepalive": "off"], ["max-requests": "7"]] {
            let (server, port, statsPort) = try await startServer(options)
            let outcome = try await runWorkload("http.closed", ["connections": "4", "pipeline": "3", "requests": "500"], port: port)
            XCTAssertEqual(outcome.operations, 500, "\(options)")
            XCTAssertEqual(outcome.failures, [], "\(options)")
            let stats = try await serverStats(statsPort)
            XCTAssertEqual(stats["responses_2xx"], 500, "\(options)")
            await server.stop()
        }
    }

    func testWrongStatusIsCountedByKind() async throws {
        let (server, port, _) = try await startServer()
        let outcome = try await runWorkload("http.closed", ["connections": "2", "requests": "100", "path": "/missing"], port: port)
        XCTAssertEqual(outcome.operations, 0)
        XCTAssertEqual(outcome.failures, ["100 × status 404"])
        XCTAssertEqual(outcome.metrics["errors"], 100)
        await server.stop()
    }

    func testDurationModeWithWarmup() async throws {
        let (server, port, _) = try await startServer()
        let start = Date()
        let outcome = try await runWorkload("http.closed", ["connections": "4", "duration": "600ms"], port: port, warmup: 0.2)
        XCTAssertGreaterThan(outcome.operations, 100)
        XCTAssertEqual(outcome.failures, [])
        XCTAssertEqual(outcome.elapsedSeconds, 0.6, accuracy: 0.2)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        await server.stop()
    }

    func testOpenLoopKeepsTheRate() async throws {
        let (server, port, _) = try await startServer()
        let outcome = try await runWorkload("http.open", ["connections": "2", "pipeline": "8", "rate": "400", "requests": "200"], port: port)
        XCTAssertEqual(outcome.operations, 200)
        XCTAssertEqual(outcome.failures, [])
        // 200 requests at 400/s take about half a second, not less (the schedule holds them back).
        XCTAssertEqual(outcome.elapsedSeconds, 0.5, accuracy: 0.2)
        XCTAssertEqual(outcome.metrics["req/s"] ?? 0, 400, accuracy: 120)
        await server.stop()
    }

    /// A server that takes 100 ms per request, asked for 20/s on one connection: each request waits
    /// behind the previous ones, and the open-loop driver charges that wait (from the intended send
    /// time), while the closed-loop driver only sees ~100 ms.
    func testOpenLoopCorrectsCoordinatedOmission() async throws {
        let (server, port, _) = try await startServer()
        let open = try await runWorkload("http.open", ["connections": "1", "rate": "20", "requests": "15", "path": "/delay/100"], port: port)
        XCTAssertEqual(open.operations, 15)
        let closed = try await runWorkload("http.closed", ["connections": "1", "requests": "15", "path": "/delay/100"], port: port)
        let openMax = open.metrics["max-ns"] ?? 0
        let closedMax = closed.metrics["max-ns"] ?? 0
        // The 15th request is intended at 0.7 s but answered at ~1.5 s.
        XCTAssertGreaterThan(openMax, 0.6e9, "open-loop max \(openMax)")
        XCTAssertLessThan(closedMax, 0.4e9, "closed-loop max \(closedMax)")
        await server.stop()
    }

    /// A server that does not answer in time: the requests are counted as lost instead of hanging the run.
    func testStalledServerEndsTheRunWithLostRequests() async throws {
        let (server, port, _) = try await startServer()
        let start = Date()
        let outcome = try await runWorkload("http.closed", ["connections": "2", "requests": "4", "path": "/delay/3000", "timeout": "300ms"], port: port)
        XCTAssertEqual(outcome.operations, 0)
        XCTAssertEqual(outcome.failures, ["2 × no response within timeout 0.3s"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.5)
        await server.stop()
    }

    func testParameterErrorsNameTheKey() {
        func error(_ kind: String, _ values: [String: String]) -> String? {
            guard let type = WorkloadRegistry.type(forKind: kind) else { return "no such kind" }
            do {
                _ = try type.init(parameters: WorkloadParameters(values.mapValues { .scalar($0) }))
                return nil
            } catch let e as WorkloadParameterError {
                return e.key
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(error("http.open", ["connections": "4"]), "rate")
        XCTAssertEqual(error("http.closed", ["rate": "10"]), "rate")
        XCTAssertEqual(error("http.closed", ["requests": "10", "duration": "1s"]), "requests")
        XCTAssertEqual(error("http.closed", ["connections": "0"]), "connections")
        XCTAssertEqual(error("http.closed", ["path": "no-slash"]), "path")
        XCTAssertEqual(error("http.closed", ["body": "big"]), "body")
        XCTAssertEqual(error("http.closed", [:]), nil)
        guard let type = WorkloadRegistry.type(forKind: "http.closed") else { return XCTFail() }
        XCTAssertThrowsError(try type.init(parameters: WorkloadParameters(["headers": .list(["no colon"])]))) { e in
            XCTAssertEqual((e as? WorkloadParameterError)?.key, "headers[0]")
        }
    }

    /// Large bodies stream through the driver without being kept: 200 responses of 4 MiB (800 MiB in
    /// all) must not grow this process (server and driver) by more than a fraction of that.
    func testLargeBodiesDoNotGrowMemoryWithoutBound() async throws {
        let (server, port, _) = try await startServer()
        _ = try await runWorkload("http.closed", ["connections": "4", "requests": "20", "path": "/bytes/4194304", "length": "4194304"], port: port)
        let before = residentBytes()
        let outcome = try await runWorkload("http.closed", ["connections": "4", "requests": "200", "path": "/bytes/4194304?chunked=1", "length": "4194304"], port: port)
        let growth = residentBytes() - before
        XCTAssertEqual(outcome.operations, 200)
        XCTAssertEqual(outcome.failures, [])
        XCTAssertLessThan(growth, 64 << 20, "RSS grew by \(growth >> 20) MiB over 800 MiB of bodies")
        await server.stop()
    }
}
