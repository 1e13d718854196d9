import NIOCore

/// An HTTP version as it appeared on the start line.
public struct HTTPVersion: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    public var description: String { "HTTP/\(major).\(minor)" }
}

/// What the `Connection` header asked for.
public enum HTTPConnectionDirective: Sendable, Equatable {
    case unspecified, close, keepAlive
}

/// How a message body is framed.
public enum HTTPBodyFraming: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked
}

/// A parsed request line and header section.
///
/// The framing-relevant headers are parsed; the others stay in `rawHeaders` (the header lines as
/// received, a slice of the connection's buffer, so no copy) and are found with `headerValue(_:)`.
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    public var target: String
    public var version: HTTPVersion
    public var framing: HTTPBodyFraming
    public var connection: HTTPConnectionDirective
    public var expectContinue: Bool
    public var headerCount: Int
    /// The header lines, each ending in CRLF, without the request line and the final empty line.
    public var rawHeaders: ByteBuffer

    public init(
        method: String, target: String, version: HTTPVersion = .http1_1, framing: HTTPBodyFraming = .none,
        connection: HTTPConnectionDirective = .unspecified, expectContinue: Bool = false, headerCount: Int = 0,
        rawHeaders: ByteBuffer = ByteBuffer()
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.framing = framing
        self.connection = connection
        self.expectContinue = expectContinue
        self.headerCount = headerCount
        self.rawHeaders = rawHeaders
    }

    /// Whether the client allows the connection to stay open after this request:
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        switch connection {
        case .close: false
        case .keepAlive: true
        case .unspecified: version != .http1_0
        }
    }

    /// The path part of the target (before `?`); for an absolute-form target, the path after its
    /// authority (`/` when it has none).
    public var path: Substring {
        let origin = originForm
        let utf8 = origin.utf8
        let path = utf8.firstIndex(of: UInt8(ascii: "?")).map { origin[..<$0] } ?? origin
        return path.isEmpty ? "/" : path
    }

    /// The query part of the target (after `?`), or nil.
    public var query: Substring? {
        let origin = originForm
        let utf8 = origin.utf8
        guard let q = utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return origin[utf8.index(after: q)...]
    }

    /// The target in origin form: an absolute-form target (`http://host:port/p?q`, which a server
    /// must accept, RFC 9112 §3.2.2) without its scheme and authority; any other target as is.
    ///
    /// Works on UTF-8 code units: the parser admits only visible ASCII in a target, and a search by
    /// `Character` would run grapheme breaking once per request.
    public var originForm: Substring {
        let utf8 = target.utf8
        guard let first = utf8.first, first != UInt8(ascii: "/"), let colon = utf8.firstIndex(of: UInt8(ascii: ":")),
            utf8[colon...].starts(with: "://".utf8)
        else { return target[...] }
        let scheme = utf8[..<colon]
        guard let initial = scheme.first, Self.isASCIILetter(initial),
            scheme.allSatisfy({ Self.isASCIILetter($0) || ($0 &- 0x30) < 10 || "+-.".utf8.contains($0) })
        else { return target[...] }
        let rest = utf8[utf8.index(colon, offsetBy: 3)...]
        guard let pathStart = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else {
            return ""
        }
        return target[pathStart...]
    }

    private static func isASCIILetter(_ b: UInt8) -> Bool {
        (b | 0x20) &- UInt8(ascii: "a") < 26
    }

    /// Every header as (name, value), in order. Allocates; for tests and tools, not hot paths.
    public var headers: [(name: String, value: String)] {
        HTTPHeaderLines.split(rawHeaders)
    }

    /// The first value of the header `name` (case-insensitive), trimmed; nil if absent.
    public func headerValue(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Splits raw header lines (`Name: value\r\n` …) into pairs.
enum HTTPHeaderLines {
    static func split(_ raw: ByteBuffer) -> [(name: String, value: String)] {
        let text = String(buffer: raw)
        var out: [(String, String)] = []
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingOWS()
            out.append((name, String(value)))
        }
        return out
    }
}

extension Substring {
    func trimmingOWS() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

/// One piece of a request as the decoder emits it: the head, zero or more body slices, the end.
public enum HTTPServerRequestPart: Sendable, Equatable {
    case head(HTTPRequestHead)
    case body(ByteBuffer)
    case end
}
