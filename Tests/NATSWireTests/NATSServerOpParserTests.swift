import NATSWire
import NIOCore
import NIOTestUtils
import XCTest

final class NATSServerOpParserTests: XCTestCase {
    let stream = "INFO {\"server_id\":\"X\",\"max_payload\":1048576}\r\n"
        + "MSG foo.bar 9 5\r\nhello\r\n"
        + "msg  foo.bar\t12 _INBOX.x 3\r\nabc\r\n"
        + "HMSG h 3 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
        + "HMSG h 3 r.1 12 12\r\nNATS/1.0\r\n\r\n\r\n"
        + "+OK\r\n-ERR 'Invalid Subject'\r\nPING\r\nPONG\n"

    var expected: [NATSServerOp] {
        [
            .info(json: buf("{\"server_id\":\"X\",\"max_payload\":1048576}")),
            .msg(subject: buf("foo.bar"), sid: 9, reply: nil, payload: buf("hello")),
            .msg(subject: buf("foo.bar"), sid: 12, reply: buf("_INBOX.x"), payload: buf("abc")),
            .hmsg(subject: buf("h"), sid: 3, reply: nil, headers: buf("NATS/1.0\r\n\r\n"), payload: buf("hi")),
            .hmsg(subject: buf("h"), sid: 3, reply: buf("r.1"), headers: buf("NATS/1.0\r\n\r\n"), payload: buf("")),
            .ok, .err("Invalid Subject"), .ping, .pong,
        ]
    }

    func testEveryOperationWholeByteByByteAndChunked() throws {
        let bytes = Array(stream.utf8)
        for chunk in [bytes.count, 1, 2, 5, 13] {
            var parser = NATSServerOpParser()
            let ops = try parseAll(bytes, chunk: chunk) { try parser.next(&$0) }
            XCTAssertEqual(ops, expected, "chunk size \(chunk)")
        }
    }

    /// The one-reservation MSG writer (a mesh node's delivery) against the text the protocol
    /// defines, at payload sizes around every digit boundary, with and without a reply subject,
    /// appended after bytes already in the buffer; and parsed back.
    func testMSGWithABytesSidIsTheProtocolText() throws {
        for size in [0, 1, 9, 10, 99, 100, 999, 1000, 12_345] {
            for reply in [nil, "_INBOX.r.7"] {
                let payload = String(repeating: "p", count: size)
                var out = ByteBuffer(string: "+OK\r\n")
                out.writeNATSMsg(
                    subject: buf("orders.eu"), sid: buf("42"), reply: reply.map(buf), payload: buf(payload))
                let text = "+OK\r\nMSG orders.eu 42 " + (reply.map { $0 + " " } ?? "") + "\(size)\r\n\(payload)\r\n"
                XCTAssertEqual(String(buffer: out), text, "payload \(size), reply \(reply ?? "none")")
                var parser = NATSServerOpParser()
                XCTAssertEqual(try parser.next(&out), .ok)
                let expected = NATSServerOp.msg(
                    subject: buf("orders.eu"), sid: 42, reply: reply.map(buf), payload: buf(payload))
                XCTAssertEqual(try parser.next(&out), expected)
                XCTAssertEqual(out.readableBytes, 0)
            }
        }
    }

    func testEncodeThenParseRoundTrips() throws {
        var out = ByteBuffer()
        for op in expected { op.encode(into: &out) }
        var parser = NATSServerOpParser()
        XCTAssertEqual(try parseAll(Array(out.readableBytesView), chunk: 3) { try parser.next(&$0) }, expected)
    }

    func testDecoderVerifier() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("MSG a 1 2\r\nhi\r\n", [.msg(subject: buf("a"), sid: 1, reply: nil, payload: buf("hi"))]),
                ("+OK\r\nPONG\r\n", [.ok, .pong]),
                ("HMSG a 7 r 2 3\r\nhhp\r\n", [.hmsg(subject: buf("a"), sid: 7, reply: buf("r"), headers: buf("hh"), payload: buf("p"))]),
            ],
            decoderFactory: { NATSServerOpDecoder() })
    }

    func testMessageHotPathGivesSlicesAndIntegerSid() throws {
        var parser = NATSServerOpParser()
        var b = ByteBuffer(string: "MSG s.t 18446744 7\r\npayload\r\n")
        guard case .msg(let subject, let sid, let reply, let payload) = try parser.next(&b) else { return XCTFail() }
        XCTAssertEqual(String(buffer: subject), "s.t")
        XCTAssertEqual(sid, 18_446_744)
        XCTAssertNil(reply)
        XCTAssertEqual(String(buffer: payload), "payload")
    }

    func testErrorsNameTheByte() throws {
        var parser = NATSServerOpParser()
        var b = ByteBuffer(string: "PONG\r\nMSG a b 1\r\nx\r\n")
        XCTAssertThrowsError(try { while try parser.next(&b) != nil {} }()) { error in
            let e = error as? NATSProtocolError
            XCTAssertEqual(e?.kind, .badArguments)
            XCTAssertEqual(e?.offset, 12)
            XCTAssertTrue(e?.description.contains("sid 'b'") ?? false, "\(error)")
        }
        var p2 = NATSServerOpParser()
        var c = ByteBuffer(string: "PUB a 1\r\nx\r\n")
        XCTAssertThrowsError(try p2.next(&c)) { XCTAssertEqual(($0 as? NATSProtocolError)?.kind, .unknownOperation) }
        var p3 = NATSServerOpParser()
        var d = ByteBuffer(string: "MSG a 1 2\r\nabc\r\n")
        XCTAssertThrowsError(try p3.next(&d)) { error in
            XCTAssertEqual((error as? NATSProtocolError)?.kind, .missingPayloadTerminator)
            XCTAssertEqual((error as? NATSProtocolError)?.offset, 13)
        }
    }
}
