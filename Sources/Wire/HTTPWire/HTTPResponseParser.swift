import NIOCore

/// One complete response as the client-side parser reports it.
public struct HTTPResponse: Sendable, Equatable {
    public var version: HTTPVersion
    public var status: Int
    /// Body bytes received (after removing chunk framing).
    public var bodyLength: Int
    public var framing: HTTPBodyFraming
    /// True when the server will close the connection after this response
    /// (`Connection: close`, HTTP/1.0 without keep-alive, or a body delimited by the close).
    public var closesConnection: Bool
    /// Header lines as received; only kept by a parser made with `collect: true`.
    public var rawHeaders: ByteBuffer?
    /// The body; only kept by a parser made with `collect: true`.
    public var body: ByteBuffer?

    public init(version: HTTPVersion, status: Int, bodyLength: Int, framing: HTTPBodyFraming, closesConnection: Bool, rawHeaders: ByteBuffer? = nil, body: ByteBuffer? = nil) {
        self.version = version
        self.status = status
        self.bodyLength = bodyLength
        self.framing = framing
        self.closesConnection = closesConnection
        self.rawHeaders = rawHeaders
        self.body = body
    }

    /// Every header as (name, value), in order (collecting parsers only).
    public var headers: [(name: String, value: String)] {
        rawHeaders.map(HTTPHeaderLines.split) ?? []
    }

    /// The first value of header `name`, case-insensitive (collecting parsers only).
    public func headerValue(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// An incremental HTTP/1.1 response parser, client side, for load drivers and tests.
///
/// It frames responses by status (1xx skipped, 204 and 304 bodiless), `Content-Length`, chunked
/// transfer coding, or the connection's close, and counts body bytes without keeping them unless
/// made with `collect: true`, so memory stays bounded whatever the body size.
public struct HTTPResponseParser: Sendable {
    private enum State: Sendable {
        case head(scanned: Int, lineStart: Int)
        case body(remaining: Int)
        case chunkSize(scanned: Int)
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(scanned: Int, lineStart: Int)
        case untilClose
        case failed(HTTPParseError)
    }

    private struct Pending: Sendable {
        var version = HTTPVersion.http1_1
        var status = 0
        var framing = HTTPBodyFraming.none
        var close = false
        var bodyLength = 0
        var headersStart = 0
        var rawHeaders: ByteBuffer? = nil
        var body: ByteBuffer? = nil
    }

    public let collect: Bool
    public let maxHeaderBytes: Int
    /// Whether responses answer HEAD requests (no body whatever the headers say).
    public var headRequests: Bool

    private var state: State = .head(scanned: 0, lineStart: 0)
    private var pending = Pending()

    public init(collect: Bool = false, headRequests: Bool = false, maxHeaderBytes: Int = 64 * 1024) {
        self.collect = collect
        self.headRequests = headRequests
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// True when no response is partly received.
    public var isIdle: Bool {
        if case .head(let scanned, _) = state { return scanned == 0 }
        return false
    }

    /// Consumes bytes and returns the next complete response, or nil when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws(HTTPParseError) -> HTTPResponse? {
        do {
            return try step(&buffer)
        } catch {
            state = .failed(error)
            throw error
        }
    }

    /// Call when the connection closed: completes a body delimited by the close, or throws when a
    /// response was cut short.
    public mutating func finish() throws(HTTPParseError) -> HTTPResponse? {
        switch state {
        case .untilClose:
            return complete()
        case .head(let scanned, _) where scanned == 0:
            return nil
        case .failed(let error):
            throw error
        default:
            let error = HTTPParseError(.truncatedMessage, "connection closed in the middle of a response (status \(pending.status), \(pending.bodyLength) body bytes received)")
            state = .failed(error)
            throw error
        }
    }

    private mutating func complete() -> HTTPResponse {
        let p = pending
        pending = Pending()
        state = .head(scanned: 0, lineStart: 0)
        return HTTPResponse(version: p.version, status: p.status, bodyLength: p.bodyLength, framing: p.framing, closesConnection: p.close, rawHeaders: p.rawHeaders, body: p.body)
    }

    private mutating func take(_ buffer: inout ByteBuffer, _ n: Int) {
        pending.bodyLength += n
        if collect, var slice = buffer.readSlice(length: n) {
            if pending.body == nil { pending.body = ByteBuffer() }
            pending.body?.writeBuffer(&slice)
        } else {
            buffer.moveReaderIndex(forwardBy: n)
        }
    }

    private mutating func step(_ buffer: inout ByteBuffer) throws(HTTPParseError) -> HTTPResponse? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .head(let scanned, let lineStart):
                guard let headEnd = try scanHead(&buffer, scanned: scanned, lineStart: lineStart) else { return nil }
                buffer.moveReaderIndex(forwardBy: headEnd)
                if pending.status < 200 && pending.status != 101 {
                    pending = Pending()
                    state = .head(scanned: 0, lineStart: 0)
                    continue
                }
                if headRequests || pending.status == 204 || pending.status == 304 {
                    return complete()
                }
                switch pending.framing {
                case .contentLength(let n):
                    if n == 0 { return complete() }
                    state = .body(remaining: n)
                case .chunked:
                    state = .chunkSize(scanned: 0)
                case .none:
                    pending.close = true
                    state = .untilClose
                }
            case .body(let remaining):
                let n = min(remaining, buffer.readableBytes)
                guard n > 0 else { return nil }
                take(&buffer, n)
                if n == remaining { return complete() }
                state = .body(remaining: remaining - n)
            case .chunkSize(let scanned):
                let line: Result<(Int, Int)?, HTTPParseError> = buffer.withUnsafeReadableBytes { bytes in
                    var i = scanned
                    while i < bytes.count, bytes[i] != HTTPBytes.lf { i += 1 }
                    guard i < bytes.count else { return .success(nil) }
                    guard i > 0, bytes[i - 1] == HTTPBytes.cr else {
                        return .failure(HTTPParseError(.invalidChunk, "bad chunk size line \(HTTPBytes.quote(bytes, 0..<(i + 1)))"))
                    }
                    return HTTPChunkLine.parse(bytes, 0..<(i - 1)).map { ($0, i + 1) }
                }
                guard let (size, length) = try line.get() else {
                    if buffer.readableBytes > 1024 { throw HTTPParseError(.invalidChunk, "chunk size line longer than 1024 bytes") }
                    state = .chunkSize(scanned: buffer.readableBytes)
                    return nil
                }
                buffer.moveReaderIndex(forwardBy: length)
                state = size == 0 ? .trailers(scanned: 0, lineStart: 0) : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let n = min(remaining, buffer.readableBytes)
                guard n > 0 else { return nil }
                take(&buffer, n)
                state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
                    throw HTTPParseError(.invalidChunk, "chunk data not followed by CRLF")
                }
                state = .chunkSize(scanned: 0)
            case .trailers(let scanned, let lineStart):
                var lineStart = lineStart
                let end: Int? = buffer.withUnsafeReadableBytes { bytes in
                    var i = scanned
                    while i < bytes.count {
                        if bytes[i] == HTTPBytes.lf {
                            if i == lineStart + 1 { return i + 1 }
                            lineStart = i + 1
                        }
                        i += 1
                    }
                    return nil
                }
                guard let end else {
                    if buffer.readableBytes > maxHeaderBytes { throw HTTPParseError(.headersTooLarge, "trailer section exceeds \(maxHeaderBytes) bytes") }
                    state = .trailers(scanned: buffer.readableBytes, lineStart: lineStart)
                    return nil
                }
                if end > maxHeaderBytes { throw HTTPParseError(.headersTooLarge, "trailer section exceeds \(maxHeaderBytes) bytes") }
                buffer.moveReaderIndex(forwardBy: end)
                return complete()
            case .untilClose:
                let n = buffer.readableBytes
                guard n > 0 else { return nil }
                take(&buffer, n)
                return nil
            }
        }
    }

    /// Finds the end of the head; on success fills `pending` and returns the head's length.
    private mutating func scanHead(_ buffer: inout ByteBuffer, scanned: Int, lineStart: Int) throws(HTTPParseError) -> Int? {
        let limit = maxHeaderBytes
        let found: Result<(Int?, Int, Int), HTTPParseError> = buffer.withUnsafeReadableBytes { bytes in
            var i = scanned
            var lineStart = lineStart
            while i < bytes.count {
                guard let lf = HTTPBytes.lineFeed(in: bytes, from: i) else {
                    i = bytes.count
                    break
                }
                i = lf
                guard i > lineStart, bytes[i - 1] == HTTPBytes.cr else {
                    return .failure(
                        HTTPParseError(.bareLineEnding, "response line ended by LF without CR at byte \(i)"))
                }
                if i - 1 == lineStart {
                    // The limit holds for a complete head too, so it does not depend on how the bytes arrived.
                    guard i + 1 <= limit else {
                        return .failure(HTTPParseError(.headersTooLarge, "response head exceeds \(limit) bytes"))
                    }
                    return .success((i + 1, i + 1, lineStart))
                }
                lineStart = i + 1
                i += 1
            }
            if bytes.count > limit { return .failure(HTTPParseError(.headersTooLarge, "response head exceeds \(limit) bytes")) }
            return .success((nil, i, lineStart))
        }
        let (end, newScanned, newLineStart) = try found.get()
        guard let end else {
            state = .head(scanned: newScanned, lineStart: newLineStart)
            return nil
        }
        let parsed: Result<Pending, HTTPParseError> = buffer.withUnsafeReadableBytes { bytes in
            do throws(HTTPParseError) {
                return .success(try Self.parseHead(bytes, end: end))
            } catch {
                return .failure(error)
            }
        }
        pending = try parsed.get()
        if collect {
            let start = pending.headersStart
            pending.rawHeaders = buffer.getSlice(at: buffer.readerIndex + start, length: max(0, end - 2 - start))
        }
        return end
    }

    private static func parseHead(_ bytes: UnsafeRawBufferPointer, end: Int) throws(HTTPParseError) -> Pending {
        var p = Pending()
        var i = 0
        while bytes[i] != HTTPBytes.cr { i += 1 }
        let line = 0..<i
        // HTTP/x.y SP 3DIGIT [SP reason]
        guard line.count >= 12, bytes[0] == UInt8(ascii: "H"), bytes[4] == UInt8(ascii: "/"), bytes[6] == UInt8(ascii: "."),
            bytes[8] == HTTPBytes.sp, case let major = bytes[5] &- 0x30, major == 1,
            case let minor = bytes[7] &- 0x30, minor < 10,
            let status = HTTPBytes.decimal(bytes, 9..<12), line.count == 12 || bytes[12] == HTTPBytes.sp
        else {
            throw HTTPParseError(.malformedStartLine, "status line \(HTTPBytes.quote(bytes, line)) is not 'HTTP/1.x NNN reason'")
        }
        p.version = HTTPVersion(major: 1, minor: Int(minor))
        p.status = status
        var keepAlive = minor != 0
        var contentLength: Int? = nil
        var chunked = false
        var lineStart = i + 2
        p.headersStart = lineStart
        while lineStart < end - 2 {
            var j = lineStart
            while bytes[j] != HTTPBytes.cr { j += 1 }
            var c = lineStart
            while c < j, bytes[c] != HTTPBytes.colon { c += 1 }
            guard c < j, c > lineStart else {
                throw HTTPParseError(.invalidHeader, "response header line \(HTTPBytes.quote(bytes, lineStart..<j)) has no name and colon")
            }
            let name = lineStart..<c
            lineStart = j + 2
            let value = HTTPBytes.trimmingOWS(bytes, (c + 1)..<j)
            if HTTPBytes.equalsIgnoringCase(bytes, name, "content-length") {
                guard let n = HTTPBytes.decimal(bytes, value) else {
                    throw HTTPParseError(.invalidContentLength, "Content-Length \(HTTPBytes.quote(bytes, value)) is not a decimal number")
                }
                if let previous = contentLength, previous != n {
                    throw HTTPParseError(.invalidContentLength, "two Content-Length headers disagree (\(previous) and \(n))")
                }
                contentLength = n
            } else if HTTPBytes.equalsIgnoringCase(bytes, name, "transfer-encoding") {
                guard HTTPBytes.equalsIgnoringCase(bytes, value, "chunked") else {
                    throw HTTPParseError(.unsupportedTransferEncoding, "Transfer-Encoding \(HTTPBytes.quote(bytes, value)) is not supported")
                }
                chunked = true
            } else if HTTPBytes.equalsIgnoringCase(bytes, name, "connection") {
                if HTTPBytes.equalsIgnoringCase(bytes, value, "close") { keepAlive = false }
                if HTTPBytes.equalsIgnoringCase(bytes, value, "keep-alive") { keepAlive = true }
            }
        }
        if chunked {
            guard contentLength == nil else {
                throw HTTPParseError(.contentLengthWithTransferEncoding, "response has both Content-Length and Transfer-Encoding")
            }
            p.framing = .chunked
        } else if let contentLength {
            p.framing = .contentLength(contentLength)
        }
        p.close = !keepAlive
        return p
    }
}
