/// Why an HTTP/1.1 message could not be parsed, with the status a server answers it with.
///
/// `detail` names what was wrong (the header, the bytes, the limit) in words a user can act on.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The request line is longer than the configured limit (414).
        case requestLineTooLong
        /// The header section is larger than the configured limit (431).
        case headersTooLarge
        /// More header lines than the configured limit (431).
        case tooManyHeaders
        /// The body (declared or received) is larger than the configured limit (413).
        case bodyTooLarge
        /// The request or status line is not `METHOD SP target SP HTTP/x.y` (or `HTTP/x.y SP code ...`).
        case malformedStartLine
        /// An HTTP version other than 1.0 and 1.1 (505).
        case unsupportedVersion
        /// A header line without a colon, with an invalid name, or with control characters in its value.
        case invalidHeader
        /// A line continued onto the next one by leading whitespace (obsolete line folding).
        case obsoleteLineFolding
        /// A line ended by LF alone, or a CR not followed by LF.
        case bareLineEnding
        /// Content-Length is not a decimal number, or two Content-Length values disagree.
        case invalidContentLength
        /// Both Content-Length and Transfer-Encoding: a request smuggling vector (400).
        case contentLengthWithTransferEncoding
        /// A transfer coding other than `chunked` (501).
        case unsupportedTransferEncoding
        /// Transfer-Encoding in an HTTP/1.0 message, whose framing is then faulty (400).
        case transferEncodingInHTTP10
        /// HTTP/1.1 request without a Host header, or with more than one (400).
        case invalidHost
        /// A chunk size line that is not hexadecimal, overflows, or a chunk not followed by CRLF.
        case invalidChunk
        /// The peer closed the connection in the middle of a message.
        case truncatedMessage
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// The status a server answers this error with.
    public var status: Int {
        switch kind {
        case .requestLineTooLong: 414
        case .headersTooLarge, .tooManyHeaders: 431
        case .bodyTooLarge: 413
        case .unsupportedVersion: 505
        case .unsupportedTransferEncoding: 501
        default: 400
        }
    }

    public var description: String { "\(kind.rawValue): \(detail)" }

    /// Renders up to `limit` bytes for an error message: printable ASCII as is, the rest as `\xNN`.
    static func quote(_ bytes: UnsafeRawBufferPointer, limit: Int = 60) -> String {
        var s = "'"
        for b in bytes.prefix(limit) {
            switch b {
            case 0x0D: s += "\\r"
            case 0x0A: s += "\\n"
            case 0x09: s += "\\t"
            case 0x20...0x7E: s.unicodeScalars.append(Unicode.Scalar(b))
            default: s += "\\x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        s += bytes.count > limit ? "'…" : "'"
        return s
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
