import Foundation
import Mesh
import NIOPosix
import XCTest

/// A subscriber's node stops (`stop()`, what `surge serve` runs on SIGTERM and SIGINT) while node 0
/// publishes, and comes back: no duplicates, nothing lost after the new SUB is acknowledged, and the
/// dead peer held off rather than reconnected per message. (An extension of `MeshLoopbackTests`.)
extension MeshLoopbackTests {
    func testRestartOnTheSamePeerPortDeliversOnceAndBacksOff() async throws {
        try await restart(samePort: true)
    }

    func testRestartOnANewPeerPortLosesNothingAfterTheSubAck() async throws {
        try await restart(samePort: false)
    }

    private func restart(samePort: Bool) async throws {
        var nodes = try await startMesh(3)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pub = try TestNATSClient(port: nodes[0].port, group: group)
        let first = try TestNATSClient(port: nodes[2].port, group: group)
        var second: TestNATSClient?
        do {
            try first.send("SUB r.x 1\r\n")
            try first.barrier()
            var seq = 0
            func publish(_ n: Int) async throws {
                for _ in 0..<n {
                    try pub.send("PUB r.x \(String(seq).utf8.count)\r\n\(seq)\r\n")
                    seq += 1
                    try await Task.sleep(nanoseconds: 2_000_000)
                }
            }
            try await publish(50)
            try first.wait(timeout: 5, "the first subscriber's messages") { first.messages(sid: "1").count >= 40 }
            await nodes[2].node.stop()
            first.close()
            try await Task.sleep(nanoseconds: 100_000_000)
            let withdrawn = try await stats(nodes[0])
            XCTAssertEqual(withdrawn["stored_records"], 0, "the stopped node withdrew its record from node 0")
            try await publish(100) // the outage: about 0.3 s
            var o = ["bootstrap": "127.0.0.1:\(nodes[0].peerPort)"]
            if samePort { o["peer-port"] = "\(nodes[2].peerPort)" }
            let node = MeshNode(options: try MeshNodeOptions(options: o))
            let p = try await node.start()
            nodes[2] = Running(node: node, port: p.port, statsPort: p.statsPort, peerPort: p.peerPort)
            let sub = try TestNATSClient(port: p.port, group: group)
            second = sub
            try sub.send("SUB r.x 1\r\n")
            try sub.barrier()
            let ackedAt = seq
            try await publish(150)
            try pub.barrier()
            try sub.wait(timeout: 5, "every message after the SUB ack") {
                sub.messages(sid: "1").compactMap(Int.init).filter { $0 >= ackedAt }.count >= 150
            }
            try await Task.sleep(nanoseconds: 200_000_000)
            let got = sub.messages(sid: "1").compactMap(Int.init)
            XCTAssertEqual(got.count, Set(got).count, "no message twice to the new subscription")
            XCTAssertEqual(Set(got.filter { $0 >= ackedAt }), Set(ackedAt..<seq), "nothing lost after the SUB ack")
            let s0 = try await stats(nodes[0])
            XCTAssertLessThanOrEqual(s0["peer_connections_failed"] ?? 0, 10, "the dead peer was not dialled per message")
        } catch {
            for c in [pub, first] + [second].compactMap({ $0 }) { c.close() }
            await stopAll(nodes)
            try? await group.shutdownGracefully()
            throw error
        }
        for c in [pub] + [second].compactMap({ $0 }) { c.close() }
        await stopAll(nodes)
        try await group.shutdownGracefully()
    }
}
