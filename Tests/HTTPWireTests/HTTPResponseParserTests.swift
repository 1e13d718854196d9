import HTTPWire
import NIOCore
import XCTest

final class HTTPResponseParserTests: XCTestCase {
    func responses(_ text: String, step: Int, collect: Bool = true, head: Bool = false, eof: Bool = false) throws -> [HTTPResponse] {
        var parser = HTTPResponseParser(collect: collect, headRequests: head)
        var buffer = ByteBuffer()
        var out: [HTTPResponse] = []
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while let r = try parser.next(&buffer) { out.append(r) }
        }
        if eof, let r = try parser.finish() { out.append(r) }
        return out
    }

    func testFramingByteByByteAndBatched() throws {
        let text = "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
            + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n"
            + "HTTP/1.1 204 No Content\r\n\r\n"
            + "HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\nConnection: close\r\n\r\nno"
        for step in [1, 3, 1000] {
            let r = try responses(text, step: step)
            XCTAssertEqual(r.map(\.status), [200, 200, 204, 404])
            XCTAssertEqual(r.map(\.bodyLength), [5, 19, 0, 2])
            XCTAssertEqual(r[1].body.map { String(buffer: $0) }, "abc0123456789abcdef")
            XCTAssertEqual(r[1].framing, .chunked)
            XCTAssertEqual(r.map(\.closesConnection), [false, false, false, true])
            XCTAssertEqual(r[3].headerValue("content-length"), "2")
        }
    }

    func testCountsWithoutKeepingBodies() throws {
        let r = try responses("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "x", count: 100_000), step: 4096, collect: false)
        XCTAssertEqual(r.first?.bodyLength, 100_000)
        XCTAssertNil(r.first?.body)
    }

    func testHeadResponsesHaveNoBody() throws {
        let r = try responses("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n", step: 5, head: true)
        XCTAssertEqual(r.count, 2)
    }

    func testCloseDelimitedAndTruncated() throws {
        let r = try responses("HTTP/1.0 200 OK\r\n\r\nuntil the end", step: 4, eof: true)
        XCTAssertEqual(r.first?.bodyLength, 13)
        XCTAssertEqual(r.first?.closesConnection, true)
        XCTAssertThrowsError(try responses("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", step: 100, eof: true)) { error in
            XCTAssertEqual((error as? HTTPParseError)?.kind, .truncatedMessage)
        }
    }

    func testMalformed() {
        XCTAssertThrowsError(try responses("HTTP/1.1 2x0 OK\r\n\r\n", step: 100)) { XCTAssertEqual(($0 as? HTTPParseError)?.kind, .malformedStartLine) }
        XCTAssertThrowsError(try responses("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", step: 100)) {
            XCTAssertEqual(($0 as? HTTPParseError)?.kind, .contentLengthWithTransferEncoding)
        }
        XCTAssertThrowsError(try responses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nq\r\n", step: 100)) { XCTAssertEqual(($0 as? HTTPParseError)?.kind, .invalidChunk) }
    }

    func testEncoders() {
        var b = ByteBuffer()
        HTTPResponseEncoder.writeChunkHeader(into: &b, size: 0x1a3f)
        HTTPResponseEncoder.writeChunkHeader(into: &b, size: 0)
        HTTPResponseEncoder.writeDecimal(into: &b, 0)
        HTTPResponseEncoder.writeDecimal(into: &b, 1_234_567)
        XCTAssertEqual(String(buffer: b), "1a3f\r\n0\r\n01234567")
        let request = HTTPRequestEncoder.encode(method: "POST", target: "/echo", host: "127.0.0.1:80", headers: [("X-A", "1")], body: ByteBuffer(string: "abc"))
        XCTAssertEqual(String(buffer: request), "POST /echo HTTP/1.1\r\nHost: 127.0.0.1:80\r\nX-A: 1\r\nContent-Length: 3\r\n\r\nabc")
    }
}
