import Broker
import Foundation
import NIOCore
import NIOPosix
import SurgeLoad
import XCTest

final class NATSWorkloadTests: XCTestCase {
    var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    }

    override func tearDown() {
        try? group.syncShutdownGracefully()
    }

    /// With a rate, a warm-up by time runs first (the rate keeps it from queueing more than a debug
    /// build drains quickly); without, publishers go flat out.
    private func checkPubSub(_ target: NATSTarget, rate: String? = nil) async throws {
        var params = ["publishers": "2", "subscribers": "3", "messages": "2000", "payload": "64", "subjects": "3"]
        params["rate"] = rate
        let outcomes = try await runWorkload(NATSPubSubWorkload.self, params, against: target,
                                             phases: rate == nil ? [.measure, .measure] : [.warmup(seconds: 0.1), .measure], group: group)
        for o in rate == nil ? outcomes : Array(outcomes.dropFirst()) {
            XCTAssertEqual(o.failures, [], target.name)
            XCTAssertEqual(o.operations, 2 * 2000 * 3, "publishers × messages × subscribers (\(target.name))")
            XCTAssertEqual(o.latency?.totalCount, 12000, target.name)
            XCTAssertGreaterThan(o.metrics["msgs/s"] ?? 0, 0)
            XCTAssertGreaterThan(o.metrics["p50-ns"] ?? 0, 0)
            XCTAssertGreaterThanOrEqual(o.metrics["p99-ns"] ?? 0, o.metrics["p50-ns"] ?? 0)
            XCTAssertEqual((o.metrics["sub-msgs/s"] ?? 0) * 3, o.metrics["msgs/s"] ?? 0, accuracy: 1)
            XCTAssertEqual(o.metrics["ns/op"] ?? 0, o.elapsedSeconds * 1e9 / 12000, accuracy: 1)
            XCTAssertEqual(o.metrics["B/s"] ?? 0, (o.metrics["msgs/s"] ?? 0) * 64, accuracy: 1)
        }
        XCTAssertEqual(outcomes[0].failures, [], "warm-up by time loses nothing either")
        XCTAssertGreaterThan(outcomes[0].operations, 0)
    }

    func testPubSubAgainstBuiltInBrokerImmediateFlushNoCache() async throws {
        let target = try await NATSTarget.builtIn(["flush": "immediate", "dispatch-cache": "off"])
        do { try await checkPubSub(target, rate: "5000") } catch { await target.stop(); throw error }
        await target.stop()
    }

    func testPubSubAgainstBuiltInBroker() async throws {
        let target = try await NATSTarget.builtIn()
        do { try await checkPubSub(target); try await checkPubSub(target, rate: "5000") } catch { await target.stop(); throw error }
        await target.stop()
    }

    func testPubSubAgainstNatsServer() async throws {
        let target = try await NATSTarget.natsServer()
        do { try await checkPubSub(target); try await checkPubSub(target, rate: "5000") } catch { await target.stop(); throw error }
        await target.stop()
    }

    func testPublishOnlyCountsPublishedMessages() async throws {
        let target = try await NATSTarget.builtIn()
        let result = await Result(catching: { try await runWorkload(NATSPubSubWorkload.self, ["subscribers": "0", "messages": "20000"], against: target, group: group)[0] })
        await target.stop()
        let o = try result.get()
        XCTAssertEqual(o.operations, 20000)
        XCTAssertEqual(o.failures, [])
        XCTAssertNil(o.latency)
        XCTAssertGreaterThan(o.metrics["msgs/s"] ?? 0, 0)
    }

    func testDurationAndRate() async throws {
        let target = try await NATSTarget.builtIn()
        let result = await Result(catching: { try await runWorkload(NATSPubSubWorkload.self, ["duration": "500ms", "rate": "2000"], against: target, group: group)[0] })
        await target.stop()
        let o = try result.get()
        XCTAssertEqual(o.failures, [])
        // 2000 msgs/s for 0.5 s is about 1000 messages.
        XCTAssertGreaterThan(o.operations, 700)
        XCTAssertLessThan(o.operations, 1300)
    }

    func testLostMessagesAreReportedPerSubscriber() async throws {
        // A slow-consumer cut-off loses messages on purpose: the workload must say so, not hang.
        let target = try await NATSTarget.builtIn(["max-pending": "1024"])
        let result = await Result(catching: { try await runWorkload(NATSPubSubWorkload.self, ["messages": "20000", "payload": "1024"], against: target, group: group)[0] })
        await target.stop()
        let o = try result.get()
        XCTAssertEqual(o.failures.count, 2, "\(o.failures)")
        XCTAssertTrue(o.failures.contains { $0.hasPrefix("subscriber 1: ") && $0.contains(" of 20000 messages lost") }, "\(o.failures)")
        XCTAssertTrue(o.failures.contains("subscriber 1: server sent -ERR 'Slow Consumer'"), "\(o.failures)")
        XCTAssertLessThan(o.operations, 20000)
    }

    private func checkRequest(_ target: NATSTarget) async throws {
        let outcomes = try await runWorkload(NATSRequestWorkload.self, ["clients": "2", "responders": "2", "requests": "500", "payload": "32"],
                                             against: target, phases: [.warmup(seconds: 0.2), .measure], group: group)
        let o = outcomes[1]
        XCTAssertEqual(o.failures, [], target.name)
        XCTAssertEqual(o.operations, 1000, target.name)
        XCTAssertEqual(o.latency?.totalCount, 1000)
        XCTAssertGreaterThan(o.metrics["req/s"] ?? 0, 0)
        XCTAssertGreaterThan(o.metrics["p50-ns"] ?? 0, 0)
        XCTAssertEqual(outcomes[0].failures, [])
    }

    func testRequestAgainstBuiltInBroker() async throws {
        let target = try await NATSTarget.builtIn()
        do { try await checkRequest(target) } catch { await target.stop(); throw error }
        await target.stop()
    }

    func testRequestAgainstNatsServer() async throws {
        let target = try await NATSTarget.natsServer()
        do { try await checkRequest(target) } catch { await target.stop(); throw error }
        await target.stop()
    }

    func testParameterErrorsNameTheKey() {
        func error(_ p: [String: String]) -> String {
            do {
                _ = try NATSPubSubWorkload(parameters: WorkloadParameters(p.mapValues { .scalar($0) }))
                return ""
            } catch { return "\(error)" }
        }
        XCTAssertTrue(error(["payload": "8"]).hasPrefix("workload.payload:"))
        XCTAssertTrue(error(["messages": "10", "duration": "1s"]).hasPrefix("workload.duration:"))
        XCTAssertTrue(error(["subject": "a.*"]).hasPrefix("workload.subject:"))
        XCTAssertTrue(error(["publishers": "0"]).hasPrefix("workload.publishers:"))
        XCTAssertEqual(error(["subscribers": "0", "subjects": "4"]), "")
        XCTAssertTrue(WorkloadRegistry.type(forKind: "nats.pubsub") == NATSPubSubWorkload.self)
        XCTAssertTrue(WorkloadRegistry.type(forKind: "nats.request") == NATSRequestWorkload.self)
    }
}
