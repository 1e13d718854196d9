import NIOPosix
import StreamProcessor
import SurgeLoad
import XCTest

/// The stream processor's micro operations answer the micro protocol over loopback, with no broker.
final class StreamMicroOpTests: XCTestCase {
    func testEveryMicroOpUnderBothEvaluationModes() async throws {
        for op in StreamMicroOp.allCases {
            for mode in ["compiled", "interpreted"] {
                let options = try StreamProcessorOptions(options: ["micro": op.rawValue, "expressions": mode])
                let processor = try StreamProcessor(options: options)
                let (port, statsPort) = try await processor.start()
                XCTAssertEqual(statsPort, 0, "no stats port in micro mode")
                let workload = try MicroWorkload(parameters: WorkloadParameters(["iterations": .scalar("300")]))
                let session = try await workload.makeSession(
                    endpoints: [Endpoint(host: "127.0.0.1", port: port)], group: MultiThreadedEventLoopGroup.singleton)
                let outcome = try await session.run(.measure) { _ in }
                XCTAssertEqual(outcome.operations, 300, "\(op) \(mode)")
                XCTAssertGreaterThan(outcome.metrics["ns/op"] ?? 0, 0)
                await session.close()
                await processor.stop()
            }
        }
    }
}
