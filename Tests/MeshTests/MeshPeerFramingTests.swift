import Foundation
import Mesh
import MeshWire
import NIOCore
import NIOPosix
import SurgeTestKit
import XCTest

/// A node's peer port frames what it reads itself (`MeshPeerServerHandler`): frames split across
/// reads at any byte, several in one read, and a malformed one, written with a raw socket.
final class MeshPeerFramingTests: XCTestCase {
    /// A `forward` frame of `payloads` on `subject`, asking for an ack when `ack` is not 0.
    static func forwardFrame(subject: String, payloads: [String], ack: UInt32 = 0) -> [UInt8] {
        var out = ByteBuffer()
        var batch = MeshForwardBatch()
        batch.begin(in: &out, ack: ack)
        for p in payloads {
            batch.append(subject: ByteBuffer(string: subject), payload: ByteBuffer(string: p), in: &out)
        }
        batch.finish(in: &out)
        return Array(out.readableBytesView)
    }

    func testFramesSplitAtEveryByteOrSharingAReadAreAllDelivered() async throws {
        let node = MeshNode(options: try MeshNodeOptions(options: [:]))
        let ports = try await node.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let sub = try TestNATSClient(port: ports.port, group: group)
            try sub.send("SUB framing.x 1\r\n")
            try sub.barrier()
            let peer = try RawTCPConnection(port: ports.peerPort)
            // One frame a byte at a time, each its own write (the node's reads end inside the frame).
            let first = Self.forwardFrame(subject: "framing.x", payloads: ["a1", "a2", "a3"])
            for byte in first {
                try peer.send([byte])
                usleep(500)
            }
            // Two whole frames and the first 7 bytes of a third in one write, then the rest.
            let third = Self.forwardFrame(subject: "framing.x", payloads: ["c1"], ack: 77)
            try peer.send(Self.forwardFrame(subject: "framing.x", payloads: ["b1"])
                + Self.forwardFrame(subject: "framing.x", payloads: ["b2", "b3"]) + third.prefix(7))
            usleep(20_000)
            try peer.send(Array(third.dropFirst(7)))
            try sub.wait(timeout: 10, "the subscriber to get 7 messages") { sub.messages(sid: "1").count >= 7 }
            XCTAssertEqual(sub.messages(sid: "1"), ["a1", "a2", "a3", "b1", "b2", "b3", "c1"])
            // The third frame asked for an ack: the answer is an `ack` frame with its rpc.
            var answer = ByteBuffer(bytes: peer.receive(timeout: 5) { $0.count >= 9 })
            var parser = MeshFrameParser()
            XCTAssertEqual(try parser.next(&answer), .ack(rpc: 77))

            // A frame length of 0 is malformed: the node closes that peer connection, and only that.
            try peer.send([0, 0, 0, 0])
            let closed = peer.receiveUntilClosed(timeout: 5)
            XCTAssertTrue(closed.closed, "the node kept a peer connection that sent a zero frame length")
            let again = try RawTCPConnection(port: ports.peerPort)
            try again.send(Self.forwardFrame(subject: "framing.x", payloads: ["d1"]))
            try sub.wait(timeout: 10, "the message sent on a new connection") { sub.messages(sid: "1").count >= 8 }
            XCTAssertEqual(sub.messages(sid: "1").last, "d1")
        } catch {
            await node.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await node.stop()
        try await group.shutdownGracefully()
    }
}
