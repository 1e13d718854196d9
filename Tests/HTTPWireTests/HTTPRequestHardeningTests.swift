import HTTPWire
import NIOCore
import XCTest

/// Issue 11 points 2 and 5 at the parser: chunk-extension grammar, trailer fields, bare CR,
/// 16-digit chunk sizes, Host syntax and absolute-form targets.
final class HTTPRequestHardeningTests: XCTestCase {
    /// Feeds `text` in pieces of `step` bytes; returns the body and whether the request ended, or the error.
    func run(_ text: String, step: Int = .max) -> (body: String, ended: Bool, head: HTTPRequestHead?, error: HTTPParseError?) {
        var parser = HTTPRequestParser()
        var buffer = ByteBuffer()
        var body = ""
        var ended = false
        var head: HTTPRequestHead?
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + min(step, bytes.count))
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            do {
                while let part = try parser.next(&buffer) {
                    switch part {
                    case .head(let h): head = h
                    case .body(let b): body += String(buffer: b)
                    case .end: ended = true
                    }
                }
            } catch {
                return (body, ended, head, error)
            }
        }
        return (body, ended, head, nil)
    }

    func chunked(_ chunks: String) -> String {
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    }

    func testValidChunkExtensionsAreAcceptedAndIgnored() {
        let valid = [
            "3;a\r\nabc\r\n0\r\n\r\n",
            "3;a=b\r\nabc\r\n0\r\n\r\n",
            "3 ;a=b\r\nabc\r\n0\r\n\r\n",
            "3\t; a = b ;c\r\nabc\r\n0\r\n\r\n",
            "3;a=\"q \\\" \\\\ d\"\r\nabc\r\n0;last\r\n\r\n",
            "3;a=b;c=\"\";d=!#$%&'*+-.^_`|~\r\nabc\r\n0\r\n\r\n",
        ]
        for chunks in valid {
            for step in [1, 3, Int.max] {
                let r = run(chunked(chunks), step: step)
                XCTAssertNil(r.error, "\(chunks.debugDescription) step \(step)")
                XCTAssertEqual(r.body, "abc", chunks.debugDescription)
                XCTAssertTrue(r.ended, chunks.debugDescription)
            }
        }
    }

    func testMalformedChunkExtensionsAndBareCRAreRejected() {
        let invalid: [(String, String)] = [
            ("3;a\rb\r\nabc\r\n0\r\n\r\n", "'\\r'"),
            ("41;a=b\r\r\nabc\r\n0\r\n\r\n", "'\\r'"),
            ("3;\r\nabc\r\n0\r\n\r\n", "empty extension name"),
            ("3;=b\r\nabc\r\n0\r\n\r\n", "extension name"),
            ("3;a=\r\nabc\r\n0\r\n\r\n", "no value"),
            ("3;a=\"b\r\nabc\r\n0\r\n\r\n", "closing quote"),
            ("3;a=b c\r\nabc\r\n0\r\n\r\n", "';' was expected"),
            ("3 \r\nabc\r\n0\r\n\r\n", "whitespace at the end"),
            ("3;a=\"\u{1}\"\r\nabc\r\n0\r\n\r\n", "quoted value"),
            ("3x\r\nabc\r\n0\r\n\r\n", "';' was expected"),
            ("\r\nabc\r\n0\r\n\r\n", "hexadecimal size"),
            ("3\r\nabc\r\n0\r\nX-T: a\rb\r\n\r\n", "control character"),
            ("3\r\nabc\r\n0\r\nno colon\r\n\r\n", "not 'Name: value'"),
            ("3\r\nabc\r\n0\r\nX-T : 1\r\n\r\n", "not 'Name: value'"),
        ]
        for (chunks, mention) in invalid {
            for step in [1, 4, Int.max] {
                let r = run(chunked(chunks), step: step)
                XCTAssertEqual(r.error?.status, 400, "\(chunks.debugDescription) step \(step)")
                XCTAssertTrue(r.error?.detail.contains(mention) ?? false, "'\(r.error?.detail ?? "no error")' should mention \(mention)")
                XCTAssertFalse(r.ended, chunks.debugDescription)
            }
        }
    }

    func testValidTrailersAreAccepted() {
        let r = run(chunked("3\r\nabc\r\n0\r\nX-Checksum: 12\r\nX-Empty:\r\n\r\n"))
        XCTAssertNil(r.error)
        XCTAssertTrue(r.ended)
    }

    func testSixteenHexDigitChunkSizesWithLeadingZeros() {
        let r = run(chunked("0000000000000003\r\nabc\r\n0000000000000000\r\n\r\n"))
        XCTAssertNil(r.error)
        XCTAssertEqual(r.body, "abc")
        XCTAssertTrue(r.ended)
        // Leading zeros never count; sixteen significant digits still overflow.
        XCTAssertNil(run(chunked("00000000000000000000000000000003\r\nabc\r\n0\r\n\r\n")).error)
        XCTAssertEqual(run(chunked("1000000000000000\r\n")).error?.kind, .invalidChunk)
    }

    func testHostMustBeAHostWithAnOptionalPort() {
        for host in ["a", "127.0.0.1:8080", "[::1]:80", "ex-ample.com.", "a%20b", "", "x:"] {
            XCTAssertNil(run("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n").error, "Host '\(host)' is valid")
        }
        for host in ["a b/c@d", "a/b", "u@h", "h:8x", "[::1", "a%2", "[]", "a b"] {
            let r = run("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            XCTAssertEqual(r.error?.kind, .invalidHost, "Host '\(host)'")
            XCTAssertEqual(r.error?.status, 400)
        }
    }

    func testAbsoluteFormTargetsHaveTheirOriginFormPath() throws {
        let cases: [(String, String, String?)] = [
            ("http://127.0.0.1/plaintext", "/plaintext", nil),
            ("HTTP://h:80/bytes/5?chunked=1", "/bytes/5", "chunked=1"),
            ("http://h", "/", nil),
            ("http://h?x=1", "/", "x=1"),
            ("/plain://x", "/plain://x", nil),
        ]
        for (target, path, query) in cases {
            let head = try XCTUnwrap(run("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n").head, target)
            XCTAssertEqual(head.path, Substring(path), target)
            XCTAssertEqual(head.query.map(String.init), query, target)
        }
    }
}
