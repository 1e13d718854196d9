import HTTPWire
import NIOCore
import XCTest

/// Inputs found by Scripts/fuzz (whole vs piecewise delivery disagreed), reduced to what they showed.
final class HTTPFuzzRegressionTests: XCTestCase {
    /// Feeds `text` in pieces of `step` bytes; the error kind, or nil when it parsed.
    func responseError(_ text: String, step: Int, maxHeaderBytes: Int) -> HTTPParseError.Kind? {
        var parser = HTTPResponseParser(collect: true, maxHeaderBytes: maxHeaderBytes)
        var buffer = ByteBuffer()
        let bytes = Array(text.utf8)
        var offset = 0
        do {
            while offset < bytes.count {
                let end = min(bytes.count, offset + step)
                buffer.writeBytes(bytes[offset..<end])
                offset = end
                while try parser.next(&buffer) != nil {}
            }
            _ = try parser.finish()
        } catch {
            return error.kind
        }
        return nil
    }

    func requestError(_ text: String, step: Int, limits: HTTPRequestLimits) -> HTTPParseError.Kind? {
        var parser = HTTPRequestParser(limits: limits)
        var buffer = ByteBuffer()
        let bytes = Array(text.utf8)
        var offset = 0
        do {
            while offset < bytes.count {
                let end = min(bytes.count, offset + step)
                buffer.writeBytes(bytes[offset..<end])
                offset = end
                while try parser.next(&buffer) != nil {}
            }
        } catch {
            return error.kind
        }
        return nil
    }

    /// crash-89b15c81 (fuzz-http-response): a complete 2063-byte head passed a 2048-byte limit when it
    /// arrived at once and failed it when it arrived in 3-byte pieces.
    func testResponseHeadLimitDoesNotDependOnDelivery() {
        let head = "HTTP/1.0 200 OK\r\nConnection: close\r\nX-Pad: " + String(repeating: "p", count: 2020) + "\r\n\r\nbody"
        XCTAssertGreaterThan(head.utf8.count - 4, 2048)
        for step in [1, 3, 100, head.utf8.count] {
            XCTAssertEqual(responseError(head, step: step, maxHeaderBytes: 2048), .headersTooLarge, "step \(step)")
            XCTAssertNil(responseError(head, step: step, maxHeaderBytes: 4096), "step \(step)")
        }
    }

    /// The same rule for request trailers: a complete trailer section over the limit fails however it arrives.
    func testRequestTrailerLimitDoesNotDependOnDelivery() {
        let limits = HTTPRequestLimits(maxHeaderBytes: 64)
        let request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: "
            + String(repeating: "t", count: 80) + "\r\n\r\n"
        for step in [1, 3, request.utf8.count] {
            XCTAssertEqual(requestError(request, step: step, limits: limits), .headersTooLarge, "step \(step)")
            XCTAssertNil(requestError(request, step: step, limits: HTTPRequestLimits()), "step \(step)")
        }
    }
}
