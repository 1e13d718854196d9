import HTTPWire
import NIOCore
import XCTest

/// The parser's byte classes, tried for every byte value through the public parser: a method or a
/// header name takes exactly RFC 9110's `tchar`, a Host reg-name exactly RFC 3986's unreserved and
/// sub-delims. The sets are written out here from the RFCs' text, not derived from the parser's bits.
final class HTTPByteClassTests: XCTestCase {
    static let alphanumerics = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
    static let tchar = alphanumerics.union("!#$%&'*+-.^_`|~".utf8)
    static let regName = alphanumerics.union("-._~!$&'()*+,;=".utf8)

    /// Whether the parser accepts the request's head (nil error).
    func accepts(_ bytes: [UInt8]) -> Bool {
        var parser = HTTPRequestParser()
        var buffer = ByteBuffer(bytes: bytes)
        do {
            return try parser.next(&buffer) != nil
        } catch {
            return false
        }
    }

    func testMethodCharactersAreExactlyTchar() {
        for b in UInt8.min...UInt8.max {
            let request = Array("G".utf8) + [b] + Array("T / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
            XCTAssertEqual(accepts(request), Self.tchar.contains(b), "method byte \(b)")
        }
    }

    func testHeaderNameCharactersAreExactlyTchar() {
        // A colon ends the name: `X:y: v` is the header X with the value `y: v`.
        for b in UInt8.min...UInt8.max where b != UInt8(ascii: ":") {
            let request = Array("GET / HTTP/1.1\r\nHost: a\r\nX".utf8) + [b] + Array("y: v\r\n\r\n".utf8)
            XCTAssertEqual(accepts(request), Self.tchar.contains(b), "header name byte \(b)")
        }
    }

    func testHostNameCharactersAreExactlyRegNameCharacters() {
        for b in UInt8.min...UInt8.max where b != UInt8(ascii: ":") && b != UInt8(ascii: "%") {
            let request = Array("GET / HTTP/1.1\r\nHost: a".utf8) + [b] + Array("b\r\n\r\n".utf8)
            // A byte the field-value rules refuse anyway (CTL, DEL) is refused either way.
            XCTAssertEqual(accepts(request), Self.regName.contains(b), "host byte \(b)")
        }
    }
}
