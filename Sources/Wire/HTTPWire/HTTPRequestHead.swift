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
        let path = origin.firstIndex(of: "?").map { origin[..<$0] } ?? origin
        return path.isEmpty ? "/" : path
    }

    /// The query part of the target (after `?`), or nil.
    public var query: Substring? {
        let origin = originForm
        guard let q = origin.firstIndex(of: "?") else { return nil }
        return origin[origin.index(after: q)...]
    }

    /// The target in origin form: an absolute-form target (`http://host:port/p?q`, which a server
    /// must accept, RFC 9112 §3.2.2) without its scheme and authority; any other target as is.
    public var originForm: Substring {
        let utf8 = target.utf8
        guard let first = utf8.first, first != UInt8(ascii: "/"), let colon = utf8.firstIndex(of: UInt8(ascii: ":")),
            utf8[colon...].starts(with: "://".utf8)
        else { return target[...] }
        let scheme = target[..<colon]
        guard let initial = scheme.first, initial.isASCII, initial.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return target[...] }
        let rest = target[utf8.index(colon, offsetBy: 3)...]
        guard let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "" }
        return rest[pathStart...]
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
