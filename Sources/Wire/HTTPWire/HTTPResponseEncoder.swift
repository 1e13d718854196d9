import NIOCore

/// Writes HTTP/1.1 response heads and chunk framing into a `ByteBuffer`, without intermediate strings.
public enum HTTPResponseEncoder {
    /// The reason phrase for a status code (`OK`, `Not Found`, …).
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 204: "No Content"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    /// Writes `HTTP/1.1 status reason` and the headers, up to but not including the empty line, so a
    /// caller can append more header lines (a cached `Date`) before `writeEndOfHead`.
    /// `contentLength` nil means chunked.
    public static func writeHead(
        into buffer: inout ByteBuffer, status: Int, contentType: String?, contentLength: Int?, keepAlive: Bool,
        http10: Bool = false, extraHeaders: [(String, String)] = []
    ) {
        buffer.writeString("HTTP/1.1 \(status) \(reason(status))\r\nServer: surge\r\n")
        if let contentType {
            buffer.writeString("Content-Type: \(contentType)\r\n")
        }
        if let contentLength {
            buffer.writeString("Content-Length: ")
            writeDecimal(into: &buffer, contentLength)
            buffer.writeString("\r\n")
        } else {
            buffer.writeString("Transfer-Encoding: chunked\r\n")
        }
        if !keepAlive {
            buffer.writeString("Connection: close\r\n")
        } else if http10 {
            buffer.writeString("Connection: keep-alive\r\n")
        }
        for (name, value) in extraHeaders {
            buffer.writeString("\(name): \(value)\r\n")
        }
    }

    /// Ends the header section.
    @inlinable
    public static func writeEndOfHead(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(0x0D0A))
    }

    /// Writes a decimal number without allocating.
    public static func writeDecimal(into buffer: inout ByteBuffer, _ value: Int) {
        precondition(value >= 0)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { d in
            var v = value
            var i = d.count
            repeat {
                i -= 1
                d[i] = UInt8(v % 10) + 0x30
                v /= 10
            } while v > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: d[i...]))
        }
    }

    /// Writes a chunk-size line (`1a3f\r\n`) for a chunk of `size` bytes; size 0 is the last chunk.
    public static func writeChunkHeader(into buffer: inout ByteBuffer, size: Int) {
        var shift = 60
        while shift > 0, (size >> shift) & 0xF == 0 { shift -= 4 }
        while shift >= 0 {
            let d = UInt8((size >> shift) & 0xF)
            buffer.writeInteger(d < 10 ? d + 0x30 : d - 10 + 0x61)
            shift -= 4
        }
        buffer.writeInteger(UInt16(0x0D0A))
    }

    /// Writes the CRLF ending a chunk's data.
    public static func writeChunkEnd(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(0x0D0A))
    }

    /// Writes the last chunk and the empty trailer section.
    public static func writeLastChunk(into buffer: inout ByteBuffer) {
        buffer.writeString("0\r\n\r\n")
    }
}

/// Builds the bytes of a request, once, for a load driver to send repeatedly.
public enum HTTPRequestEncoder {
    /// `headers` are sent as given; `Host` is added unless present, and `Content-Length` when there is a body.
    public static func encode(
        method: String, target: String, host: String, headers: [(name: String, value: String)] = [],
        body: ByteBuffer? = nil, version: HTTPVersion = .http1_1
    ) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("\(method) \(target) \(version)\r\n")
        if !headers.contains(where: { $0.name.lowercased() == "host" }) {
            buffer.writeString("Host: \(host)\r\n")
        }
        for header in headers {
            buffer.writeString("\(header.name): \(header.value)\r\n")
        }
        if let body, !headers.contains(where: { $0.name.lowercased() == "content-length" || $0.name.lowercased() == "transfer-encoding" }) {
            buffer.writeString("Content-Length: \(body.readableBytes)\r\n")
        }
        buffer.writeString("\r\n")
        if var body {
            buffer.writeBuffer(&body)
        }
        return buffer
    }
}
