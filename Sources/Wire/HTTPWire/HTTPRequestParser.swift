import NIOCore

/// An incremental HTTP/1.1 request parser (RFC 9112), server side.
///
/// Feed it the connection's cumulative buffer; `next(_:)` consumes what it can and returns the next
/// part (head, body slice, end) or nil when it needs more bytes. It never rescans bytes already
/// examined, so byte-by-byte delivery costs the same as one large read. Framing is strict, to close
/// request-smuggling vectors: CRLF line endings only, no obsolete line folding, no whitespace before
/// a header colon, one Content-Length value, `chunked` as the only transfer coding, and never both
/// Content-Length and Transfer-Encoding. After an error the parser stays failed: the connection must
/// be answered with `error.status` and closed.
public struct HTTPRequestParser: Sendable {
    public var limits: HTTPRequestLimits

    /// Where the parser is. The head's scan lives beside it in `scan`, not as a payload, so that
    /// each call works on it in place instead of copying it (and its strings) out and back.
    private enum State: Sendable {
        case head
        case body(remaining: Int)
        case chunkSize(scanned: Int, received: Int)
        case chunkData(remaining: Int, received: Int)
        case chunkDataEnd(received: Int)
        case trailers(scanned: Int, lineStart: Int)
        case end
        case failed(HTTPParseError)
    }

    /// What is known of a head while its lines arrive. Offsets are relative to the reader index.
    private struct HeadScan: Sendable {
        var scanned = 0
        var lineStart = 0
        var requestLineEnd: Int? = nil  // offset just past the request line's LF
        var method = ""
        var target = ""
        var version = HTTPVersion.http1_1
        var headerCount = 0
        var contentLength: Int? = nil
        var transferEncoding: TransferEncoding = .absent
        var connection = HTTPConnectionDirective.unspecified
        var hostCount = 0
        var expectContinue = false
    }

    private enum TransferEncoding: Sendable { case absent, chunked, unsupported(String) }

    private var state: State = .head
    private var scan = HeadScan()

    public init(limits: HTTPRequestLimits = HTTPRequestLimits()) {
        self.limits = limits
    }

    /// True between messages (no request partly received and nothing buffered to emit).
    public var isIdle: Bool {
        if case .head = state { return scan.scanned == 0 }
        return false
    }

    /// Consumes bytes from `buffer` and returns the next request part, or nil when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws(HTTPParseError) -> HTTPServerRequestPart? {
        switch state {
        case .failed(let error):
            throw error
        case .head:
            do {
                return try parseHead(&buffer)
            } catch {
                state = .failed(error)
                throw error
            }
        case .end:
            state = .head
            return .end
        case .body(let remaining):
            guard buffer.readableBytes > 0 else { return nil }
            let n = min(remaining, buffer.readableBytes)
            guard let slice = buffer.readSlice(length: n) else { return nil }
            state = remaining == n ? .end : .body(remaining: remaining - n)
            return .body(slice)
        case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            do {
                return try parseChunked(&buffer)
            } catch {
                state = .failed(error)
                throw error
            }
        }
    }

    // MARK: head

    private mutating func parseHead(_ buffer: inout ByteBuffer) throws(HTTPParseError) -> HTTPServerRequestPart? {
        let limits = self.limits
        let outcome: Result<Int?, HTTPParseError> = buffer.withUnsafeReadableBytes { bytes in
            do throws(HTTPParseError) {
                return .success(try Self.scanHead(&self.scan, bytes, limits))
            } catch {
                return .failure(error)
            }
        }
        guard let headEnd = try outcome.get() else { return nil }
        let start = buffer.readerIndex
        let rawStart = scan.requestLineEnd ?? headEnd
        let rawHeaders = buffer.getSlice(at: start + rawStart, length: headEnd - 2 - rawStart) ?? ByteBuffer()
        buffer.moveReaderIndex(forwardBy: headEnd)
        let finished = scan
        scan = HeadScan()
        return .head(try finishHead(finished, rawHeaders: rawHeaders))
    }

    /// Scans for complete lines; returns the offset just past the empty line ending the head.
    private static func scanHead(_ scan: inout HeadScan, _ bytes: UnsafeRawBufferPointer, _ limits: HTTPRequestLimits) throws(HTTPParseError) -> Int? {
        var i = scan.scanned
        let count = bytes.count
        while i < count {
            guard let lf = HTTPBytes.lineFeed(in: bytes, from: i) else {
                i = count
                break
            }
            i = lf
            guard i > scan.lineStart, bytes[i - 1] == HTTPBytes.cr else {
                throw HTTPParseError(.bareLineEnding, "line ended by LF without CR at byte \(i) of the request head")
            }
            let line = scan.lineStart..<(i - 1)
            let next = i + 1
            if scan.requestLineEnd == nil {
                if line.isEmpty, scan.lineStart < 4 {
                    // RFC 9112 §2.2: ignore empty lines before the request line.
                    scan.lineStart = next
                } else {
                    guard line.count <= limits.maxRequestLineBytes else {
                        throw HTTPParseError(.requestLineTooLong, "request line is \(line.count) bytes, the limit is \(limits.maxRequestLineBytes)")
                    }
                    try parseRequestLine(&scan, bytes, line)
                    scan.requestLineEnd = next
                    scan.lineStart = next
                }
            } else if let requestLineEnd = scan.requestLineEnd, next - requestLineEnd > limits.maxHeaderBytes {
                throw HTTPParseError(.headersTooLarge, "header section exceeds \(limits.maxHeaderBytes) bytes")
            } else if line.isEmpty {
                scan.scanned = next
                return next
            } else {
                scan.headerCount += 1
                guard scan.headerCount <= limits.maxHeaderCount else {
                    throw HTTPParseError(.tooManyHeaders, "more than \(limits.maxHeaderCount) header lines")
                }
                try parseHeaderLine(&scan, bytes, line)
                scan.lineStart = next
            }
            i = next
        }
        scan.scanned = i
        if let requestLineEnd = scan.requestLineEnd {
            if count - requestLineEnd > limits.maxHeaderBytes {
                throw HTTPParseError(.headersTooLarge, "header section exceeds \(limits.maxHeaderBytes) bytes")
            }
        } else if count - scan.lineStart > limits.maxRequestLineBytes + 1 {
            throw HTTPParseError(.requestLineTooLong, "request line exceeds \(limits.maxRequestLineBytes) bytes")
        }
        return nil
    }

    private static func parseRequestLine(_ scan: inout HeadScan, _ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTPParseError) {
        var i = line.lowerBound
        while i < line.upperBound, HTTPBytes.isToken(bytes[i]) { i += 1 }
        guard i > line.lowerBound, i < line.upperBound, bytes[i] == HTTPBytes.sp else {
            throw HTTPParseError(.malformedStartLine, "request line \(HTTPBytes.quote(bytes, line)) does not start with a method and one space")
        }
        let method = line.lowerBound..<i
        i += 1
        let targetStart = i
        while i < line.upperBound, bytes[i] > 0x20, bytes[i] < 0x7F { i += 1 }
        guard i > targetStart, i < line.upperBound, bytes[i] == HTTPBytes.sp else {
            throw HTTPParseError(.malformedStartLine, "request line \(HTTPBytes.quote(bytes, line)) has no valid target followed by one space")
        }
        let target = targetStart..<i
        i += 1
        let version = i..<line.upperBound
        guard version.count == 8,
            bytes[i] == UInt8(ascii: "H"), bytes[i + 1] == UInt8(ascii: "T"), bytes[i + 2] == UInt8(ascii: "T"),
            bytes[i + 3] == UInt8(ascii: "P"), bytes[i + 4] == UInt8(ascii: "/"), bytes[i + 6] == UInt8(ascii: "."),
            case let major = bytes[i + 5] &- 0x30, major < 10,
            case let minor = bytes[i + 7] &- 0x30, minor < 10
        else {
            throw HTTPParseError(.malformedStartLine, "request line \(HTTPBytes.quote(bytes, line)) does not end with HTTP/x.y")
        }
        guard major == 1 else {
            throw HTTPParseError(.unsupportedVersion, "HTTP/\(major).\(minor) is not supported; use HTTP/1.1 or HTTP/1.0")
        }
        scan.method = HTTPBytes.string(bytes, method)
        scan.target = HTTPBytes.string(bytes, target)
        scan.version = HTTPVersion(major: 1, minor: minor == 0 ? 0 : 1)
    }

    private static func parseHeaderLine(_ scan: inout HeadScan, _ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTPParseError) {
        let first = bytes[line.lowerBound]
        if first == HTTPBytes.sp || first == HTTPBytes.htab {
            throw HTTPParseError(.obsoleteLineFolding, "header line \(HTTPBytes.quote(bytes, line)) starts with whitespace (obsolete line folding)")
        }
        var i = line.lowerBound
        while i < line.upperBound, HTTPBytes.isToken(bytes[i]) { i += 1 }
        guard i > line.lowerBound, i < line.upperBound, bytes[i] == HTTPBytes.colon else {
            throw HTTPParseError(.invalidHeader, "header line \(HTTPBytes.quote(bytes, line)) is not 'Name: value' (a name of token characters directly followed by a colon)")
        }
        let name = line.lowerBound..<i
        let value = HTTPBytes.trimmingOWS(bytes, (i + 1)..<line.upperBound)
        guard HTTPBytes.isValidFieldValue(bytes, value) else {
            throw HTTPParseError(.invalidHeader, "header \(HTTPBytes.quote(bytes, name)) has a control character in its value")
        }
        switch name.count {
        case 4 where HTTPBytes.equalsIgnoringCase(bytes, name, "host"):
            scan.hostCount += 1
            guard HTTPBytes.isValidHost(bytes, value) else {
                throw HTTPParseError(.invalidHost, "Host \(HTTPBytes.quote(bytes, value)) is not a host name or address with an optional port")
            }
        case 6 where HTTPBytes.equalsIgnoringCase(bytes, name, "expect"):
            scan.expectContinue = HTTPBytes.equalsIgnoringCase(bytes, value, "100-continue")
        case 10 where HTTPBytes.equalsIgnoringCase(bytes, name, "connection"):
            parseConnection(&scan, bytes, value)
        case 14 where HTTPBytes.equalsIgnoringCase(bytes, name, "content-length"):
            guard let length = HTTPBytes.decimal(bytes, value) else {
                throw HTTPParseError(.invalidContentLength, "Content-Length \(HTTPBytes.quote(bytes, value)) is not a decimal number")
            }
            if let previous = scan.contentLength, previous != length {
                throw HTTPParseError(.invalidContentLength, "two Content-Length headers disagree (\(previous) and \(length))")
            }
            scan.contentLength = length
        case 17 where HTTPBytes.equalsIgnoringCase(bytes, name, "transfer-encoding"):
            guard case .absent = scan.transferEncoding else {
                throw HTTPParseError(.unsupportedTransferEncoding, "more than one Transfer-Encoding header")
            }
            if HTTPBytes.equalsIgnoringCase(bytes, value, "chunked") {
                scan.transferEncoding = .chunked
            } else {
                scan.transferEncoding = .unsupported(HTTPBytes.quote(bytes, value))
            }
        default:
            break
        }
    }

    private static func parseConnection(_ scan: inout HeadScan, _ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) {
        var start = value.lowerBound
        for i in value.lowerBound...value.upperBound where i == value.upperBound || bytes[i] == UInt8(ascii: ",") {
            let token = HTTPBytes.trimmingOWS(bytes, start..<i)
            if HTTPBytes.equalsIgnoringCase(bytes, token, "close") {
                scan.connection = .close
            } else if HTTPBytes.equalsIgnoringCase(bytes, token, "keep-alive"), scan.connection != .close {
                scan.connection = .keepAlive
            }
            start = i + 1
        }
    }

    private mutating func finishHead(_ scan: HeadScan, rawHeaders: ByteBuffer) throws(HTTPParseError) -> HTTPRequestHead {
        if scan.version == .http1_1 {
            guard scan.hostCount == 1 else {
                throw HTTPParseError(.invalidHost, scan.hostCount == 0 ? "HTTP/1.1 request without a Host header" : "\(scan.hostCount) Host headers; exactly one is allowed")
            }
        } else if scan.hostCount > 1 {
            throw HTTPParseError(.invalidHost, "\(scan.hostCount) Host headers; at most one is allowed")
        }
        let framing: HTTPBodyFraming
        switch scan.transferEncoding {
        case .unsupported(let coding):
            throw HTTPParseError(.unsupportedTransferEncoding, "Transfer-Encoding \(coding) is not supported; only 'chunked' is")
        case .chunked:
            guard scan.contentLength == nil else {
                throw HTTPParseError(.contentLengthWithTransferEncoding, "request has both Content-Length and Transfer-Encoding")
            }
            guard scan.version != .http1_0 else {
                throw HTTPParseError(.transferEncodingInHTTP10, "HTTP/1.0 request with Transfer-Encoding")
            }
            framing = .chunked
            state = .chunkSize(scanned: 0, received: 0)
        case .absent:
            let length = scan.contentLength ?? 0
            guard length <= limits.maxBodyBytes else {
                throw HTTPParseError(.bodyTooLarge, "Content-Length \(length) exceeds the limit of \(limits.maxBodyBytes) bytes")
            }
            framing = scan.contentLength.map { .contentLength($0) } ?? .none
            state = length > 0 ? .body(remaining: length) : .end
        }
        return HTTPRequestHead(
            method: scan.method, target: scan.target, version: scan.version, framing: framing,
            connection: scan.connection, expectContinue: scan.expectContinue, headerCount: scan.headerCount,
            rawHeaders: rawHeaders
        )
    }

    // MARK: chunked body

    private mutating func parseChunked(_ buffer: inout ByteBuffer) throws(HTTPParseError) -> HTTPServerRequestPart? {
        while true {
            switch state {
            case .chunkSize(let scanned, let received):
                guard let (size, lineLength) = try scanChunkSizeLine(&buffer, scanned: scanned, received: received) else { return nil }
                buffer.moveReaderIndex(forwardBy: lineLength)
                if size == 0 {
                    state = .trailers(scanned: 0, lineStart: 0)
                } else {
                    guard received + size <= limits.maxBodyBytes else {
                        throw HTTPParseError(.bodyTooLarge, "chunked body exceeds the limit of \(limits.maxBodyBytes) bytes")
                    }
                    state = .chunkData(remaining: size, received: received + size)
                }
            case .chunkData(let remaining, let received):
                guard buffer.readableBytes > 0 else { return nil }
                let n = min(remaining, buffer.readableBytes)
                guard let slice = buffer.readSlice(length: n) else { return nil }
                state = remaining == n ? .chunkDataEnd(received: received) : .chunkData(remaining: remaining - n, received: received)
                return .body(slice)
            case .chunkDataEnd(let received):
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A else {
                    throw HTTPParseError(.invalidChunk, "chunk data not followed by CRLF")
                }
                buffer.moveReaderIndex(forwardBy: 2)
                state = .chunkSize(scanned: 0, received: received)
            case .trailers(let scanned, let lineStart):
                guard let done = try scanTrailers(&buffer, scanned: scanned, lineStart: lineStart) else { return nil }
                buffer.moveReaderIndex(forwardBy: done)
                state = .head
                return .end
            default:
                return nil
            }
        }
    }

    private mutating func scanChunkSizeLine(_ buffer: inout ByteBuffer, scanned: Int, received: Int) throws(HTTPParseError) -> (Int, Int)? {
        let result: Result<(Int, Int)?, HTTPParseError> = buffer.withUnsafeReadableBytes { bytes in
            var i = scanned
            while i < bytes.count, bytes[i] != HTTPBytes.lf { i += 1 }
            guard i < bytes.count else {
                if i > 1024 { return .failure(HTTPParseError(.invalidChunk, "chunk size line longer than 1024 bytes")) }
                return .success(nil)
            }
            guard i > 0, bytes[i - 1] == HTTPBytes.cr else {
                return .failure(HTTPParseError(.bareLineEnding, "chunk size line ended by LF without CR"))
            }
            return HTTPChunkLine.parse(bytes, 0..<(i - 1)).map { ($0, i + 1) }
        }
        guard let found = try result.get() else {
            state = .chunkSize(scanned: buffer.readableBytes, received: received)
            return nil
        }
        return found
    }

    /// Checks trailer lines (each a valid field line, as in the head) up to the empty line and skips
    /// them; returns the bytes to consume.
    private mutating func scanTrailers(_ buffer: inout ByteBuffer, scanned: Int, lineStart: Int) throws(HTTPParseError) -> Int? {
        let limit = limits.maxHeaderBytes
        var lineStart = lineStart
        let result: Result<Int?, HTTPParseError> = buffer.withUnsafeReadableBytes { bytes in
            var i = scanned
            while i < bytes.count {
                if bytes[i] == HTTPBytes.lf {
                    guard i > lineStart, bytes[i - 1] == HTTPBytes.cr else {
                        return .failure(HTTPParseError(.bareLineEnding, "trailer line ended by LF without CR"))
                    }
                    if i + 1 > limit {
                        return .failure(HTTPParseError(.headersTooLarge, "trailer section exceeds \(limit) bytes"))
                    }
                    if i - 1 == lineStart { return .success(i + 1) }
                    if let problem = HTTPBytes.fieldLineProblem(bytes, lineStart..<(i - 1)) {
                        return .failure(HTTPParseError(.invalidHeader, "trailer \(problem)"))
                    }
                    lineStart = i + 1
                }
                i += 1
            }
            if bytes.count > limit {
                return .failure(HTTPParseError(.headersTooLarge, "trailer section exceeds \(limit) bytes"))
            }
            return .success(nil)
        }
        guard let done = try result.get() else {
            state = .trailers(scanned: buffer.readableBytes, lineStart: lineStart)
            return nil
        }
        return done
    }
}
