import Broker
import ComponentKit
import NIOCore
import NIOPosix
import StreamProcessor
import SurgeLoad
import XCTest

/// The `nats.pipeline` workload against the stream processor on the built-in broker, end to end
/// over loopback, with exact accounting of every output.
final class StreamPipelineTests: XCTestCase {
    private func withPipeline(
        _ switches: [String: String], _ body: (Endpoint, StreamProcessor) async throws -> Void
    ) async throws {
        let broker = BrokerServer(options: try BrokerOptions(options: [:]))
        let (port, _) = try await broker.start()
        var all = switches
        all["broker"] = "127.0.0.1:\(port)"
        let processor = try StreamProcessor(options: try StreamProcessorOptions(options: all))
        do {
            _ = try await processor.start()
            try await body(Endpoint(host: "127.0.0.1", port: port), processor)
        } catch {
            await processor.stop()
            await broker.stop()
            throw error
        }
        await processor.stop()
        await broker.stop()
    }

    private func run(_ params: [String: String], at endpoint: Endpoint) async throws -> WorkloadOutcome {
        let group = MultiThreadedEventLoopGroup.singleton
        let workload = try NATSPipelineWorkload(parameters: WorkloadParameters(params.mapValues { .scalar($0) }))
        let session = try await workload.makeSession(endpoints: [endpoint], group: group)
        let outcome = try await session.run(.measure) { _ in }
        await session.close()
        return outcome
    }

    /// The dynamic preset filters `qty > 0`: every 4th order has qty 0 and must not come out.
    func testLossyFilterIsAccountedExactlyUnderEverySwitch() async throws {
        let configs: [[String: String]] = [
            [:],
            ["templates": "interpreted", "expressions": "interpreted", "static-cache": "off", "pooling": "off"],
            ["workers": "2"],
        ]
        for config in configs {
            try await withPipeline(config.merging(["mappings": "preset:dynamic"]) { a, _ in a }) { endpoint, processor in
                let outcome = try await run(["messages": "2000", "drop-every": "4", "payload": "200"], at: endpoint)
                XCTAssertEqual(outcome.failures, [], "\(config)")
                XCTAssertEqual(outcome.operations, 2000)
                XCTAssertEqual(outcome.latency?.totalCount, 1500, "three of four orders come out")
                XCTAssertGreaterThan(outcome.metrics["out-msgs/s"] ?? 0, 0)
                let counters = processor.stats().counters
                XCTAssertEqual(counters["msgs_in"], 2000, "\(config)")
                XCTAssertEqual(counters["dropped_by_filter"], 500)
                XCTAssertEqual(counters["msgs_out"], 1500)
                XCTAssertEqual(counters["errors"], 0)
            }
        }
    }

    func testWrongMappingAndMissingFilterFailWithCountsAndExamples() async throws {
        try await withPipeline(["mappings": "preset:dynamic"]) { endpoint, _ in
            let swapped = try await run(
                ["messages": "300", "expect-subject": "stream.out.{tier}.{region}", "drain-timeout": "500ms"], at: endpoint)
            XCTAssertTrue(swapped.failures.contains { $0.hasPrefix("300 of 300 expected outputs lost") }, "\(swapped.failures)")
            XCTAssertTrue(
                swapped.failures.contains { $0.contains("outputs wrongly mapped (e.g. seq 0 arrived on stream.out.eu.gold, expected stream.out.gold.eu)") },
                "\(swapped.failures)")
        }
        try await withPipeline(["mappings": "preset:static"]) { endpoint, _ in
            let unfiltered = try await run(
                ["messages": "400", "drop-every": "4", "expect-subject": "stream.out.static"], at: endpoint)
            XCTAssertEqual(unfiltered.failures, ["100 outputs of orders the filter must drop (e.g. seq 3 (qty 0) arrived on stream.out.static)"])
        }
    }

    func testTypeErrorsAreCountedNotFatal() async throws {
        let mapping = "stream.in.* -> stream.out.{payload.customer.vip}"
        try await withPipeline(["mappings": mapping]) { endpoint, processor in
            let outcome = try await run(["messages": "50", "drain-timeout": "300ms", "expect-subject": "stream.out.x"], at: endpoint)
            XCTAssertEqual(outcome.failures, ["50 of 50 expected outputs lost (e.g. seq 0, expected on stream.out.x)"])
            let stats = processor.stats()
            XCTAssertEqual(stats.counters["errors"], 50)
            XCTAssertEqual(stats.info["last_error"], "missing field payload.customer.vip")
        }
    }
}
