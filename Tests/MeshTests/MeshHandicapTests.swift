import Foundation
import Mesh
import NIOPosix
import XCTest

/// `-o handicap-ns=N`: a mesh node busy-waits N ns per message forwarded to a peer (the regression-gate canary).
/// (An extension of `MeshLoopbackTests`, whose mesh helpers it uses.)
extension MeshLoopbackTests {
    func testMeshHandicapIsListedDefaultsOffAndRejectsBadValues() throws {
        XCTAssertEqual(try MeshNodeOptions(options: [:]).handicapNanoseconds, 0)
        XCTAssertEqual(try MeshNodeOptions(options: ["handicap-ns": "7"]).handicapNanoseconds, 7)
        XCTAssertEqual(MeshNodeOptions.declared.option(named: "handicap-ns")?.defaultText, "0")
        for bad in ["-1", "x", "2000000000"] {
            XCTAssertThrowsError(try MeshNodeOptions(options: ["handicap-ns": bad]), bad) { error in
                XCTAssertTrue("\(error)".contains("handicap-ns"), "\(error)")
            }
        }
    }

    /// Two nodes; `count` messages published on node 0 in one write, timed until node 1's subscriber has
    /// them all. Node 0 forwards each one on its single event loop, so the handicaps add up in turn.
    private func forwardBurst(handicap: Int, count: Int) async throws -> (nanoseconds: UInt64, forwards: Int?) {
        let nodes = try await startMesh(2, options: ["handicap-ns": "\(handicap)"])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let sub = try TestNATSClient(port: nodes[1].port, group: group)
        let pub = try TestNATSClient(port: nodes[0].port, group: group)
        var result: (UInt64, Int?) = (0, nil)
        do {
            try sub.send("SUB h.t 1\r\n")
            try sub.barrier()
            try pub.send("PUB h.t 1\r\nw\r\n")  // discovery, outside the timed part
            try sub.wait(timeout: 10, "the warm-up message") { sub.messages(sid: "1").count == 1 }
            let burst = (0..<count).map { "PUB h.t 4\r\n" + String(format: "%04d", $0) + "\r\n" }.joined()
            let start = DispatchTime.now().uptimeNanoseconds
            try pub.send(burst)
            try sub.wait(timeout: 20, "\(count) forwarded messages") { sub.messages(sid: "1").count == count + 1 }
            result.0 = DispatchTime.now().uptimeNanoseconds - start
            result.1 = try await stats(nodes[0])["forwards"]
        } catch {
            sub.close()
            pub.close()
            await stopAll(nodes)
            try? await group.shutdownGracefully()
            throw error
        }
        sub.close()
        pub.close()
        await stopAll(nodes)
        try await group.shutdownGracefully()
        return result
    }

    func testMeshHandicapCostsAtLeastItsNanosecondsPerForwardedMessage() async throws {
        let count = 100
        let handicap = 1_000_000
        let plain = try await forwardBurst(handicap: 0, count: count)
        let slowed = try await forwardBurst(handicap: handicap, count: count)
        XCTAssertEqual(plain.forwards, count + 1)
        XCTAssertEqual(slowed.forwards, count + 1)
        XCTAssertGreaterThanOrEqual(
            slowed.nanoseconds, UInt64(count * handicap),
            "handicapped: \(slowed.nanoseconds) ns; unhandicapped: \(plain.nanoseconds) ns")
        print(
            "mesh \(count) forwards: handicap 0 → \(plain.nanoseconds / 1000) µs, "
                + "\(handicap) ns → \(slowed.nanoseconds / 1000) µs")
    }
}
