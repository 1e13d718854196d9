import NATSWire
import NIOCore
import NIOTestUtils
import XCTest

/// Feeds a stream to a parser whole, byte by byte and in uneven chunks; all three must agree.
func parseAll<Op>(_ bytes: [UInt8], chunk: Int, _ next: (inout ByteBuffer) throws -> Op?) throws -> [Op] {
    var buffer = ByteBuffer()
    var ops: [Op] = []
    var i = 0
    while i < bytes.count {
        let n = min(chunk, bytes.count - i)
        buffer.writeBytes(bytes[i..<(i + n)])
        i += n
        while let op = try next(&buffer) { ops.append(op) }
    }
    XCTAssertEqual(buffer.readableBytes, 0, "bytes left unparsed")
    return ops
}

func buf(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

final class NATSClientOpParserTests: XCTestCase {
    let stream = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n"
        + "PUB foo.bar 5\r\nhello\r\n"
        + "pub\tfoo.bar   _INBOX.1 \t 3\r\nabc\r\n"
        + "PUB empty 0\r\n\r\n"
        + "HPUB h.s 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
        + "hpub h.s reply.to 12 12\r\nNATS/1.0\r\n\r\n\r\n"
        + "SUB foo.* 1\r\n"
        + "sub foo.> workers 22\n"
        + "UNSUB 1\r\n"
        + "unsub 22 10\r\n"
        + "PING\r\nping\npong\r\nPONG\r\n"

    var expected: [NATSClientOp] {
        [
            .connect(json: buf("{\"verbose\":false,\"pedantic\":false}")),
            .pub(subject: buf("foo.bar"), reply: nil, payload: buf("hello")),
            .pub(subject: buf("foo.bar"), reply: buf("_INBOX.1"), payload: buf("abc")),
            .pub(subject: buf("empty"), reply: nil, payload: buf("")),
            .hpub(subject: buf("h.s"), reply: nil, headers: buf("NATS/1.0\r\n\r\n"), payload: buf("hi")),
            .hpub(subject: buf("h.s"), reply: buf("reply.to"), headers: buf("NATS/1.0\r\n\r\n"), payload: buf("")),
            .sub(subject: buf("foo.*"), queue: nil, sid: buf("1")),
            .sub(subject: buf("foo.>"), queue: buf("workers"), sid: buf("22")),
            .unsub(sid: buf("1"), max: nil),
            .unsub(sid: buf("22"), max: 10),
            .ping, .ping, .pong, .pong,
        ]
    }

    func testEveryOperationWholeByteByByteAndChunked() throws {
        let bytes = Array(stream.utf8)
        for chunk in [bytes.count, 1, 2, 3, 7, 64] {
            var parser = NATSClientOpParser()
            let ops = try parseAll(bytes, chunk: chunk) { try parser.next(&$0) }
            XCTAssertEqual(ops, expected, "chunk size \(chunk)")
            XCTAssertEqual(parser.offset, bytes.count)
        }
    }

    /// `nextFrame` yields the same operations: a `PUB` without reply as ranges into the buffer (read,
    /// then consumed by the caller), everything else built and consumed, in every chunking.
    func testNextFrameAgreesWithNextInEveryChunking() throws {
        let bytes = Array(stream.utf8)
        for chunk in [bytes.count, 1, 2, 3, 7, 64] {
            var parser = NATSClientOpParser()
            var publishes = 0
            let ops = try parseAll(bytes, chunk: chunk) { buffer -> NATSClientOp? in
                switch try parser.nextFrame(&buffer) {
                case nil:
                    return nil
                case .op(let op):
                    return op
                case .publish(let p):
                    publishes += 1
                    let at = buffer.readerIndex
                    let op = NATSClientOp.pub(
                        subject: buffer.getSlice(at: at + p.subject.lowerBound, length: p.subject.count)!, reply: nil,
                        payload: buffer.getSlice(at: at + p.payload.lowerBound, length: p.payload.count)!)
                    parser.consume(p, from: &buffer)
                    return op
                }
            }
            XCTAssertEqual(ops, expected, "chunk size \(chunk)")
            XCTAssertEqual(publishes, 2, "the two PUBs without reply come back as ranges")
            XCTAssertEqual(parser.offset, bytes.count)
        }
    }

    /// A `PUB` whose payload has not all arrived is not returned, and the error offsets after a
    /// consumed frame count from the start of the stream.
    func testNextFrameWaitsForThePayloadAndKeepsOffsets() throws {
        var parser = NATSClientOpParser()
        var buffer = buf("PUB a 5\r\nhel")
        XCTAssertNil(try parser.nextFrame(&buffer))
        XCTAssertEqual(buffer.readerIndex, 0)
        buffer.writeString("lo\r\nXUB\r\n")
        guard case .publish(let p) = try parser.nextFrame(&buffer) else { return XCTFail("expected a publish") }
        XCTAssertEqual(p.subject, 4..<5)
        XCTAssertEqual(p.payload, 9..<14)
        parser.consume(p, from: &buffer)
        XCTAssertEqual(parser.offset, 16)
        XCTAssertThrowsError(try parser.nextFrame(&buffer)) { error in
            XCTAssertEqual((error as? NATSProtocolError)?.offset, 16)
        }
    }

    func testEncodeThenParseRoundTrips() throws {
        var out = ByteBuffer()
        for op in expected { op.encode(into: &out) }
        var parser = NATSClientOpParser()
        let ops = try parseAll(Array(out.readableBytesView), chunk: 5) { try parser.next(&$0) }
        XCTAssertEqual(ops, expected)
    }

    func testDecoderVerifier() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("PUB a 2\r\nhi\r\n", [.pub(subject: buf("a"), reply: nil, payload: buf("hi"))]),
                ("SUB a q 1\r\nPING\r\n", [.sub(subject: buf("a"), queue: buf("q"), sid: buf("1")), .ping]),
                ("HPUB a r 2 3\r\nhhp\r\n", [.hpub(subject: buf("a"), reply: buf("r"), headers: buf("hh"), payload: buf("p"))]),
            ],
            decoderFactory: { NATSClientOpDecoder() })
    }

    /// Parses `text` whole and byte by byte; both must throw the same error.
    func parseError(_ text: String, maxPayload: Int = .max) -> NATSProtocolError? {
        var errors: [NATSProtocolError] = []
        for chunk in [text.utf8.count, 1] {
            var parser = NATSClientOpParser(maxPayload: maxPayload)
            do {
                _ = try parseAll(Array(text.utf8), chunk: chunk) { try parser.next(&$0) }
            } catch let e as NATSProtocolError {
                errors.append(e)
            } catch {
                XCTFail("unexpected error \(error)")
            }
        }
        guard errors.count == 2 else { XCTFail("expected an error for \(text.debugDescription)"); return nil }
        XCTAssertEqual(errors[0], errors[1], "whole and byte-by-byte disagree")
        return errors[0]
    }

    func testUnknownOperationNamesItAndItsByte() throws {
        let e = try XCTUnwrap(parseError("PING\r\nFOO bar\r\n"))
        XCTAssertEqual(e.kind, .unknownOperation)
        XCTAssertEqual(e.offset, 6)
        XCTAssertTrue(e.description.contains("starting with 'F' 0x46"), e.description)
        XCTAssertEqual(parseError("\r\n")?.kind, .unknownOperation)
        XCTAssertEqual(parseError("MSG a 1 1\r\nx\r\n")?.kind, .unknownOperation, "MSG is a server operation")
    }

    func testBadSizeNamesTheField() throws {
        let e = try XCTUnwrap(parseError("PUB foo 12x\r\n"))
        XCTAssertEqual(e.kind, .badSize)
        XCTAssertEqual(e.offset, 8)
        XCTAssertTrue(e.description.contains("size '12x'"), e.description)
        let h = try XCTUnwrap(parseError("HPUB foo 5 3\r\nabc\r\n"))
        XCTAssertEqual(h.kind, .badSize)
        XCTAssertTrue(h.description.contains("header size 5 is larger than total size 3"), h.description)
    }

    func testWrongArgumentCount() throws {
        let e = try XCTUnwrap(parseError("PUB foo a b 1\r\n"))
        XCTAssertEqual(e.kind, .badArguments)
        XCTAssertTrue(e.description.contains("PUB takes 'subject [reply] size', found 4 arguments"), e.description)
        XCTAssertEqual(parseError("SUB foo\r\n")?.kind, .badArguments)
        // nats-server wants a space after the name: without one it is an unknown operation.
        XCTAssertEqual(parseError("UNSUB\r\n")?.kind, .unknownOperation)
        XCTAssertEqual(parseError("CONNECT\r\n")?.kind, .unknownOperation)
        XCTAssertEqual(parseError("CONNECT \r\n")?.kind, .badArguments)
    }

    /// The leniencies and limits of nats-server's own parser (issue 14 point 6).
    func testNATSServerRulesForNamesSizesAndUnsubMax() throws {
        var parser = NATSClientOpParser()
        var b = ByteBuffer(string: "PINGxyz\r\nPONG extra\r\nUNSUB 1 abc\r\nUNSUB 2 1234567890\r\nUNSUB 3 7\r\n")
        var ops: [NATSClientOp] = []
        while let op = try parser.next(&b) { ops.append(op) }
        XCTAssertEqual(ops, [.ping, .pong, .unsub(sid: buf("1"), max: 0), .unsub(sid: buf("2"), max: 0),
                             .unsub(sid: buf("3"), max: 7)])
        XCTAssertEqual(parseError("PUB a 1234567890\r\n")?.kind, .badSize, "nats-server reads at most 9 digits")
        // Garbage is refused at its first wrong byte, without waiting for a line feed.
        var garbage = NATSClientOpParser()
        var g = ByteBuffer(string: "PUX" + String(repeating: "x", count: 100))
        XCTAssertThrowsError(try garbage.next(&g)) {
            XCTAssertEqual(($0 as? NATSProtocolError)?.kind, .unknownOperation)
            XCTAssertEqual(($0 as? NATSProtocolError)?.offset, 2)
        }
        var partial = NATSClientOpParser()
        var p = ByteBuffer(string: "HPU")
        XCTAssertNil(try partial.next(&p), "a name still being typed is not an error")
    }

    func testPayloadNotFollowedByCRLF() throws {
        let e = try XCTUnwrap(parseError("PUB foo 5\r\nhelloX\r\n"))
        XCTAssertEqual(e.kind, .missingPayloadTerminator)
        XCTAssertEqual(e.offset, 16)
        XCTAssertTrue(e.description.contains("'X' 0x58"), e.description)
        let lf = try XCTUnwrap(parseError("PUB foo 1\r\nx\rY"))
        XCTAssertEqual(lf.offset, 13)
    }

    func testControlLineLimitIs4096() throws {
        let ok = "PUB " + String(repeating: "a", count: 4096 - 6) + " 0\r\n\r\n"
        var parser = NATSClientOpParser()
        XCTAssertEqual(try parseAll(Array(ok.utf8), chunk: 1000) { try parser.next(&$0) }.count, 1)
        let long = "PUB " + String(repeating: "a", count: 5000) + " 0\r\n\r\n"
        let e = try XCTUnwrap(parseError(long))
        XCTAssertEqual(e.kind, .controlLineTooLong)
        XCTAssertEqual(e.offset, 4096)
        // Without a line feed at all the parser gives up once the limit is passed, not at the end.
        var p2 = NATSClientOpParser()
        var b = ByteBuffer(string: "PUB " + String(repeating: "P", count: 4098))
        XCTAssertThrowsError(try p2.next(&b)) { XCTAssertEqual(($0 as? NATSProtocolError)?.kind, .controlLineTooLong) }
    }

    func testMaxPayloadIsCheckedOnTheControlLine() throws {
        var parser = NATSClientOpParser(maxPayload: 10)
        var b = ByteBuffer(string: "PUB foo 11\r\n")
        XCTAssertThrowsError(try parser.next(&b)) { error in
            let e = error as? NATSProtocolError
            XCTAssertEqual(e?.kind, .maxPayloadExceeded)
            XCTAssertEqual(e?.offset, 8)
        }
    }
}
