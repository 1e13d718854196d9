import HTTPWire
import NIOCore
import NIOEmbedded
import NIOTestUtils
import XCTest

/// A whole request, for comparing decoder output however the bytes were split.
struct FullRequest: Equatable {
    var method: String
    var target: String
    var version: HTTPVersion
    var keepAlive: Bool
    var headers: [String]
    var body: String
}

/// Wraps `HTTPRequestParser` and joins body parts, so `ByteToMessageDecoderVerifier`'s byte-by-byte
/// and all-at-once deliveries must produce identical requests.
struct FullRequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = FullRequest
    var parser = HTTPRequestParser()
    var current: FullRequest?

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        while let part = try parser.next(&buffer) {
            switch part {
            case .head(let h):
                current = FullRequest(method: h.method, target: h.target, version: h.version, keepAlive: h.keepAlive,
                                      headers: h.headers.map { "\($0.name)=\($0.value)" }, body: "")
            case .body(let b):
                current?.body += String(buffer: b)
            case .end:
                if let c = current { context.fireChannelRead(Self.wrapInboundOut(c)) }
                current = nil
            }
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

final class HTTPRequestParserTests: XCTestCase {
    func testVerifierByteByByteAndBatched() throws {
        let get = "GET /plaintext HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n"
        let post = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
        let chunked = "POST /echo?x=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: t\r\n\r\n"
        let http10 = "\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        let close = "GET /json HTTP/1.1\r\nhost:  b \r\nConnection: foo, close\r\n\r\n"
        let pairs: [(ByteBuffer, [FullRequest])] = [
            (ByteBuffer(string: get), [FullRequest(method: "GET", target: "/plaintext", version: .http1_1, keepAlive: true, headers: ["Host=a", "Accept=*/*"], body: "")]),
            (ByteBuffer(string: post), [FullRequest(method: "POST", target: "/echo", version: .http1_1, keepAlive: true, headers: ["Host=a", "Content-Length=11"], body: "hello world")]),
            (ByteBuffer(string: chunked), [FullRequest(method: "POST", target: "/echo?x=1", version: .http1_1, keepAlive: true, headers: ["Host=a", "Transfer-Encoding=Chunked"], body: "helloabcdefghijklmnopqrstuvwxyz")]),
            (ByteBuffer(string: http10), [FullRequest(method: "GET", target: "/", version: .http1_0, keepAlive: true, headers: ["Connection=keep-alive"], body: "")]),
            (ByteBuffer(string: close), [FullRequest(method: "GET", target: "/json", version: .http1_1, keepAlive: false, headers: ["host=b", "Connection=foo, close"], body: "")]),
            (ByteBuffer(string: get + post + get), [
                FullRequest(method: "GET", target: "/plaintext", version: .http1_1, keepAlive: true, headers: ["Host=a", "Accept=*/*"], body: ""),
                FullRequest(method: "POST", target: "/echo", version: .http1_1, keepAlive: true, headers: ["Host=a", "Content-Length=11"], body: "hello world"),
                FullRequest(method: "GET", target: "/plaintext", version: .http1_1, keepAlive: true, headers: ["Host=a", "Accept=*/*"], body: ""),
            ]),
        ]
        XCTAssertNoThrow(try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { FullRequestDecoder() })
    }

    /// Parses `text` fed in pieces of `step` bytes; returns the parts or the error.
    func parse(_ text: String, step: Int = .max, limits: HTTPRequestLimits = HTTPRequestLimits()) -> (parts: [HTTPServerRequestPart], error: HTTPParseError?) {
        var parser = HTTPRequestParser(limits: limits)
        var buffer = ByteBuffer()
        var parts: [HTTPServerRequestPart] = []
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + min(step, bytes.count))
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            do {
                while let part = try parser.next(&buffer) { parts.append(part) }
            } catch {
                return (parts, error)
            }
        }
        return (parts, nil)
    }

    func testLargeBatchOfPipelinedRequests() {
        let one = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n"
        let result = parse(String(repeating: one, count: 10_000))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.parts.filter { $0 == .end }.count, 10_000)
    }

    func testErrorsNameTheProblemAndCarryTheRightStatus() {
        let cases: [(String, HTTPParseError.Kind, Int, String)] = [
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello", .contentLengthWithTransferEncoding, 400, "Content-Length and Transfer-Encoding"),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", .contentLengthWithTransferEncoding, 400, "both"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", .invalidContentLength, 400, "disagree"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", .invalidContentLength, 400, "'+5'"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", .invalidContentLength, 400, "'5, 5'"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .invalidContentLength, 400, "'-1'"),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferEncoding, 501, "gzip"),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", .unsupportedTransferEncoding, 501, "xchunked"),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .unsupportedTransferEncoding, 501, "more than one"),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingInHTTP10, 400, "HTTP/1.0"),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n", .invalidHeader, 400, "Content-Length :"),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n", .obsoleteLineFolding, 400, "folding"),
            ("GET / HTTP/1.1\nHost: a\r\n\r\n", .bareLineEnding, 400, "LF without CR"),
            ("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", .bareLineEnding, 400, "LF without CR"),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", .invalidHeader, 400, "control character"),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion, 505, "HTTP/2.0"),
            ("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", .malformedStartLine, 400, "HTTP/x.y"),
            ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedStartLine, 400, "target"),
            ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedStartLine, 400, "method"),
            ("GET / HTTP/1.1\r\n\r\n", .invalidHost, 400, "without a Host"),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .invalidHost, 400, "2 Host"),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .invalidChunk, 400, "'zz'"),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", .invalidChunk, 400, "CRLF"),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", .invalidChunk, 400, "hexadecimal"),
        ]
        for (input, kind, status, mention) in cases {
            for step in [1, 7, Int.max] {
                let result = parse(input, step: step)
                XCTAssertEqual(result.error?.kind, kind, "input \(input.debugDescription) step \(step)")
                XCTAssertEqual(result.error?.status, status, "input \(input.debugDescription)")
                XCTAssertTrue(result.error?.detail.contains(mention) ?? false, "'\(result.error?.detail ?? "nil")' should mention '\(mention)'")
            }
        }
    }

    func testLimits() {
        let limits = HTTPRequestLimits(maxRequestLineBytes: 64, maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 10)
        let longTarget = "/" + String(repeating: "a", count: 100)
        for step in [1, 5, Int.max] {
            // The limit applies whether the line is complete or still arriving.
            XCTAssertEqual(parse("GET \(longTarget) HTTP/1.1\r\nHost: a\r\n\r\n", step: step, limits: limits).error?.status, 414)
            XCTAssertEqual(parse("GET \(longTarget)", step: step, limits: limits).error?.status, 414)
            let manyHeaders = (0..<5).map { "X-\($0): 1\r\n" }.joined()
            XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost: a\r\n\(manyHeaders)\r\n", step: step, limits: limits).error?.kind, .tooManyHeaders)
            let bigHeader = "X-Big: " + String(repeating: "b", count: 200) + "\r\n"
            XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost: a\r\n\(bigHeader)\r\n", step: step, limits: limits).error?.kind, .headersTooLarge)
            XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost: a\r\n\(bigHeader)", step: step, limits: limits).error?.kind, .headersTooLarge)
            XCTAssertEqual(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", step: step, limits: limits).error?.status, 413)
            XCTAssertEqual(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n", step: step, limits: limits).error?.status, 413)
            XCTAssertNil(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", step: step, limits: limits).error)
        }
    }

    func testParserStaysFailedAfterAnError() {
        var parser = HTTPRequestParser()
        var buffer = ByteBuffer(string: "BAD\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertThrowsError(try parser.next(&buffer))
        XCTAssertThrowsError(try parser.next(&buffer))
    }

    func testHeadAccessors() throws {
        var parser = HTTPRequestParser()
        var buffer = ByteBuffer(string: "GET /bytes/10?chunked=1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Thing:  v a l \r\n\r\n")
        guard case .head(let head) = try parser.next(&buffer) else { return XCTFail("no head") }
        XCTAssertEqual(head.path, "/bytes/10")
        XCTAssertEqual(head.query, "chunked=1")
        XCTAssertEqual(head.headerValue("x-thing"), "v a l")
        XCTAssertTrue(head.expectContinue)
        XCTAssertEqual(head.headerCount, 3)
        XCTAssertEqual(try parser.next(&buffer), .end)
        XCTAssertTrue(parser.isIdle)
    }
}
