import MeshWire
import NIOCore
import XCTest

final class MeshFrameParserTests: XCTestCase {
    let a = MeshContact(id: 0x0123_4567_89AB_CDEF, host: "127.0.0.1", port: 4001)
    let b = MeshContact(id: 42, host: "::1", port: 65535)

    var frames: [MeshFrame] {
        [
            .ping(rpc: 1, sender: a),
            .pong(rpc: 1, sender: b),
            .findNode(rpc: 2, sender: a, target: .max),
            .nodes(rpc: 2, sender: b, contacts: [a, b]),
            .nodes(rpc: 3, sender: b, contacts: []),
            .store(rpc: 4, sender: a, key: Array("orders.eu".utf8), ttlMillis: 30_000),
            .unstore(rpc: 5, sender: a, key: Array("orders.eu".utf8)),
            .ack(rpc: 5),
            .findValue(rpc: 6, sender: b, key: []),
            .value(rpc: 6, sender: a, found: true, values: [b], closer: [a, b]),
            .value(rpc: 7, sender: a, found: false, values: [], closer: []),
            .forward(ack: 0, messages: MeshForwardedMessages([("a.b", ByteBuffer(string: "hello")), ("c", ByteBuffer())])),
            .forward(ack: 9, messages: MeshForwardedMessages([MeshForwardedMessage]())),
            .forward(ack: 0, messages: MeshForwardedMessages([
                MeshForwardedMessage(subject: ByteBuffer(string: "q.1"), reply: ByteBuffer(string: "_INBOX.x.1"),
                                     headers: ByteBuffer(string: "NATS/1.0\r\nA: b\r\n\r\n"), plain: false,
                                     groups: ByteBuffer(string: "workers w2"), payload: ByteBuffer(string: "p")),
            ])),
            .update(rpc: 8, sender: a, key: Array("orders.eu".utf8), contact: b, added: true),
            .update(rpc: 9, sender: b, key: [], contact: a, added: false),
        ]
    }

    func stream() -> [UInt8] {
        var b = ByteBuffer()
        for f in frames { f.encode(into: &b) }
        return Array(b.readableBytesView)
    }

    func parse(_ bytes: [UInt8], chunk: Int) throws -> [MeshFrame] {
        var parser = MeshFrameParser()
        var buffer = ByteBuffer()
        var out: [MeshFrame] = []
        var i = 0
        while i < bytes.count {
            let n = min(chunk, bytes.count - i)
            buffer.writeBytes(bytes[i..<(i + n)])
            i += n
            while let f = try parser.next(&buffer) { out.append(f) }
        }
        XCTAssertEqual(buffer.readableBytes, 0)
        XCTAssertEqual(parser.offset, bytes.count)
        return out
    }

    func testEveryFrameRoundTripsWholeByteByByteAndChunked() throws {
        let bytes = stream()
        for chunk in [bytes.count, 1, 2, 3, 7, 64] {
            XCTAssertEqual(try parse(bytes, chunk: chunk), frames, "chunk size \(chunk)")
        }
    }

    func testForwardedMessagesIterateAsSlices() throws {
        let f = try parse(stream(), chunk: 5)[11]
        guard case .forward(let ack, let messages) = f else { return XCTFail("not a forward: \(f)") }
        XCTAssertEqual(ack, 0)
        XCTAssertEqual(messages.count, 2)
        let items = messages.map { (String(buffer: $0.subject), String(buffer: $0.payload)) }
        XCTAssertEqual(items.map(\.0), ["a.b", "c"])
        XCTAssertEqual(items.map(\.1), ["hello", ""])
        XCTAssertTrue(messages.allSatisfy { $0.plain && $0.reply == nil && $0.headers == nil && $0.groups == nil })
        guard case .forward(_, let rich) = try parse(stream(), chunk: 3)[13], let m = rich.first(where: { _ in true }) else {
            return XCTFail("frame 13 is not a forward")
        }
        XCTAssertEqual(m.reply.map { String(buffer: $0) }, "_INBOX.x.1")
        XCTAssertEqual(m.headers.map { String(buffer: $0) }, "NATS/1.0\r\nA: b\r\n\r\n")
        XCTAssertEqual(m.groups.map { String(buffer: $0) }, "workers w2")
        XCTAssertFalse(m.plain)
        XCTAssertEqual(String(buffer: m.payload), "p")
    }

    func testForwardBatchBuildsTheSameFrameAsTheEncoder() throws {
        var out = ByteBuffer()
        var batch = MeshForwardBatch()
        batch.begin(in: &out, ack: 3)
        batch.append(subject: ByteBuffer(string: "x.y"), payload: ByteBuffer(string: "12345"), in: &out)
        batch.append(subject: ByteBuffer(string: "z"), payload: ByteBuffer(string: "6"), in: &out)
        XCTAssertEqual(batch.finish(in: &out), 2)
        var expected = ByteBuffer()
        MeshFrame.forward(ack: 3, messages: MeshForwardedMessages([("x.y", ByteBuffer(string: "12345")), ("z", ByteBuffer(string: "6"))])).encode(into: &expected)
        XCTAssertEqual(out, expected)
    }

    func testUnknownTypeNamesTheByte() {
        // Two good frames, then a frame whose type byte (stream offset = good bytes + 4) is 99.
        var b = ByteBuffer()
        MeshFrame.ack(rpc: 1).encode(into: &b)
        MeshFrame.ack(rpc: 2).encode(into: &b)
        let good = b.readableBytes
        b.writeInteger(UInt32(5))
        b.writeInteger(UInt8(99))
        b.writeInteger(UInt32(0))
        var parser = MeshFrameParser()
        XCTAssertNoThrow(try parser.next(&b))
        XCTAssertNoThrow(try parser.next(&b))
        XCTAssertThrowsError(try parser.next(&b)) { error in
            guard let e = error as? MeshProtocolError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .unknownFrameType)
            XCTAssertEqual(e.offset, good + 4)
            XCTAssertTrue(e.description.contains("byte \(good + 4)"), e.description)
        }
    }

    func testTruncatedFieldAndBadLengthAndTrailingBytes() {
        // A store frame whose key length says 200 but the frame ends sooner.
        var b = ByteBuffer()
        let frameLength: UInt32 = 21 // type 1, rpc 4, contact 11, key length 2, key bytes 3
        b.writeInteger(frameLength)
        b.writeInteger(MeshFrame.FrameType.store.rawValue)
        b.writeInteger(UInt32(1))
        b.writeMeshContact(MeshContact(id: 1, host: "", port: 1))
        b.writeInteger(UInt16(200))
        b.writeBytes([1, 2, 3])
        var parser = MeshFrameParser()
        XCTAssertThrowsError(try parser.next(&b)) { error in
            let e = error as? MeshProtocolError
            XCTAssertEqual(e?.kind, .truncatedField)
            XCTAssertEqual(e?.offset, 22, "points at the first key byte (4 + 1 + 4 + 11 + 2)")
        }

        var big = ByteBuffer()
        big.writeInteger(UInt32(1 << 30))
        var p2 = MeshFrameParser()
        XCTAssertThrowsError(try p2.next(&big)) { XCTAssertEqual(($0 as? MeshProtocolError)?.kind, .badFrameLength) }

        var trailing = ByteBuffer()
        trailing.writeInteger(UInt32(6))
        trailing.writeInteger(MeshFrame.FrameType.ack.rawValue)
        trailing.writeInteger(UInt32(7))
        trailing.writeInteger(UInt8(0))
        var p3 = MeshFrameParser()
        XCTAssertThrowsError(try p3.next(&trailing)) { error in
            XCTAssertEqual((error as? MeshProtocolError)?.kind, .trailingBytes)
            XCTAssertEqual((error as? MeshProtocolError)?.offset, 9)
        }
    }

    /// A forward frame whose last message's payload is cut short: the error names that message's
    /// field and its length (the names are built only when a field fails).
    func testTruncatedForwardMessageIsNamed() throws {
        var b = ByteBuffer()
        MeshFrame.forward(
            ack: 0,
            messages: MeshForwardedMessages([("a.b", ByteBuffer(string: "x")), ("c", ByteBuffer(string: "hello"))])
        ).encode(into: &b)
        let length = try XCTUnwrap(b.getInteger(at: 0, as: UInt32.self))
        b.setInteger(length - 2, at: 0)
        b.moveWriterIndex(to: b.writerIndex - 2)
        var parser = MeshFrameParser()
        XCTAssertThrowsError(try parser.next(&b)) { error in
            guard let e = error as? MeshProtocolError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .truncatedField)
            XCTAssertEqual(e.offset, b.readableBytes - 3, "points at the payload's first byte")
            XCTAssertTrue(e.description.contains("payload of message 1 (5 bytes) runs past the end"), e.description)
        }
    }

    func testIncompleteFrameConsumesNothing() throws {
        var b = ByteBuffer()
        MeshFrame.ping(rpc: 1, sender: a).encode(into: &b)
        var partial = b.getSlice(at: 0, length: b.readableBytes - 1)!
        var parser = MeshFrameParser()
        XCTAssertNil(try parser.next(&partial))
        XCTAssertEqual(partial.readableBytes, b.readableBytes - 1)
        XCTAssertEqual(parser.offset, 0)
    }
}
