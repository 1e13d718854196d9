import NIOCore

/// Encoders for every NATS operation in both directions. Subjects, reply subjects, queue groups and
/// sids are taken as bytes (`String.UTF8View`, `ByteBufferView`, `[UInt8]`), so callers on hot paths
/// can pass slices of what they received without creating strings.
extension ByteBuffer {
    // MARK: client → server

    public mutating func writeNATSConnect(json: String) {
        writeString("CONNECT ")
        writeString(json)
        writeNATSCRLF()
    }

    public mutating func writeNATSPub<S: Collection, R: Collection>(subject: S, reply: R?, payload: ByteBuffer)
    where S.Element == UInt8, R.Element == UInt8 {
        writeStaticString("PUB ")
        writeBytes(subject)
        if let reply {
            writeInteger(UInt8(ascii: " "))
            writeBytes(reply)
        }
        writeInteger(UInt8(ascii: " "))
        writeNATSDecimal(UInt64(payload.readableBytes))
        writeNATSCRLF()
        writeImmutableBuffer(payload)
        writeNATSCRLF()
    }

    public mutating func writeNATSPub<S: Collection>(subject: S, payload: ByteBuffer) where S.Element == UInt8 {
        writeNATSPub(subject: subject, reply: Optional<[UInt8]>.none, payload: payload)
    }

    public mutating func writeNATSHPub<S: Collection, R: Collection>(subject: S, reply: R?, headers: ByteBuffer, payload: ByteBuffer)
    where S.Element == UInt8, R.Element == UInt8 {
        writeStaticString("HPUB ")
        writeBytes(subject)
        if let reply {
            writeInteger(UInt8(ascii: " "))
            writeBytes(reply)
        }
        writeInteger(UInt8(ascii: " "))
        writeNATSDecimal(UInt64(headers.readableBytes))
        writeInteger(UInt8(ascii: " "))
        writeNATSDecimal(UInt64(headers.readableBytes + payload.readableBytes))
        writeNATSCRLF()
        writeImmutableBuffer(headers)
        writeImmutableBuffer(payload)
        writeNATSCRLF()
    }

    public mutating func writeNATSSub<S: Collection, Q: Collection, I: Collection>(subject: S, queue: Q?, sid: I)
    where S.Element == UInt8, Q.Element == UInt8, I.Element == UInt8 {
        writeStaticString("SUB ")
        writeBytes(subject)
        if let queue {
            writeInteger(UInt8(ascii: " "))
            writeBytes(queue)
        }
        writeInteger(UInt8(ascii: " "))
        writeBytes(sid)
        writeNATSCRLF()
    }

    public mutating func writeNATSSub(subject: String, queue: String? = nil, sid: UInt64) {
        writeNATSSub(subject: subject.utf8, queue: queue?.utf8, sid: String(sid).utf8)
    }

    public mutating func writeNATSUnsub<I: Collection>(sid: I, max: Int?) where I.Element == UInt8 {
        writeStaticString("UNSUB ")
        writeBytes(sid)
        if let max {
            writeInteger(UInt8(ascii: " "))
            writeNATSDecimal(UInt64(Swift.max(0, max)))
        }
        writeNATSCRLF()
    }

    public mutating func writeNATSUnsub(sid: UInt64, max: Int? = nil) {
        writeNATSUnsub(sid: String(sid).utf8, max: max)
    }

    // MARK: server → client

    public mutating func writeNATSInfo(json: String) {
        writeString("INFO ")
        writeString(json)
        writeNATSCRLF()
    }

    public mutating func writeNATSMsg<S: Collection, R: Collection>(subject: S, sid: UInt64, reply: R?, payload: ByteBuffer)
    where S.Element == UInt8, R.Element == UInt8 {
        writeStaticString("MSG ")
        writeBytes(subject)
        writeInteger(UInt8(ascii: " "))
        writeNATSDecimal(sid)
        if let reply {
            writeInteger(UInt8(ascii: " "))
            writeBytes(reply)
        }
        writeInteger(UInt8(ascii: " "))
        writeNATSDecimal(UInt64(payload.readableBytes))
        writeNATSCRLF()
        writeImmutableBuffer(payload)
        writeNATSCRLF()
    }

    /// `MSG subject sid [reply] size\r\n payload\r\n` with the sid as bytes (a subscription's own
    /// spelling), laid out in one reserved stretch of the buffer. Written field by field, its nine
    /// `ByteBuffer` writes (each with a capacity and an exclusivity check inside NIOCore) cost a mesh
    /// node more than the copies themselves.
    public mutating func writeNATSMsg(subject: ByteBuffer, sid: ByteBuffer, reply: ByteBuffer?, payload: ByteBuffer) {
        let size = payload.readableBytes
        let bound = 4 + subject.readableBytes + 1 + sid.readableBytes + 1 + (reply.map { $0.readableBytes + 1 } ?? 0)
            + 20 + 2 + size + 2
        writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { dst in
            var at = 0
            func bytes(_ buffer: ByteBuffer) {
                let n = buffer.readableBytes
                guard n > 0 else { return }
                buffer.withUnsafeReadableBytes { src in
                    (dst.baseAddress! + at).copyMemory(from: src.baseAddress!, byteCount: n)
                }
                at += n
            }
            func byte(_ b: UInt8) {
                dst[at] = b
                at += 1
            }
            byte(UInt8(ascii: "M"))
            byte(UInt8(ascii: "S"))
            byte(UInt8(ascii: "G"))
            byte(UInt8(ascii: " "))
            bytes(subject)
            byte(UInt8(ascii: " "))
            bytes(sid)
            if let reply {
                byte(UInt8(ascii: " "))
                bytes(reply)
            }
            byte(UInt8(ascii: " "))
            var digits = 1
            var rest = size / 10
            while rest > 0 {
                digits += 1
                rest /= 10
            }
            var v = size
            for i in stride(from: at + digits - 1, through: at, by: -1) {
                dst[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
            }
            at += digits
            byte(13)
            byte(10)
            bytes(payload)
            byte(13)
            byte(10)
            return at
        }
    }

    public mutating func writeNATSHMsg<S: Collection, R: Collection>(subject: S, sid: UInt64, reply: R?, headers: ByteBuffer, payload: ByteBuffer)
    where S.Element == UInt8, R.Element == UInt8 {
        writeStaticString("HMSG ")
        writeBytes(subject)
        writeInteger(UInt8(ascii: " "))
        writeNATSDecimal(sid)
        if let reply {
            writeInteger(UInt8(ascii: " "))
            writeBytes(reply)
        }
        writeInteger(UInt8(ascii: " "))
        writeNATSDecimal(UInt64(headers.readableBytes))
        writeInteger(UInt8(ascii: " "))
        writeNATSDecimal(UInt64(headers.readableBytes + payload.readableBytes))
        writeNATSCRLF()
        writeImmutableBuffer(headers)
        writeImmutableBuffer(payload)
        writeNATSCRLF()
    }

    public mutating func writeNATSOK() { writeStaticString("+OK\r\n") }

    /// `-ERR 'text'`.
    public mutating func writeNATSErr(_ text: String) {
        writeStaticString("-ERR '")
        writeString(text)
        writeStaticString("'\r\n")
    }

    // MARK: both directions

    public mutating func writeNATSPing() { writeStaticString("PING\r\n") }
    public mutating func writeNATSPong() { writeStaticString("PONG\r\n") }

    public mutating func writeNATSCRLF() {
        writeInteger(UInt16(0x0D0A), endianness: .big)
    }

    /// Writes `value` in decimal ASCII without creating a string.
    public mutating func writeNATSDecimal(_ value: UInt64) {
        if value < 10 {
            writeInteger(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes of scratch, enough for 20 digits
        let count = withUnsafeMutableBytes(of: &digits) { raw -> Int in
            var v = value
            var i = raw.count
            while v > 0 {
                i -= 1
                raw[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
            }
            return raw.count - i
        }
        withUnsafeBytes(of: &digits) { raw in
            _ = writeBytes(UnsafeRawBufferPointer(rebasing: raw[(raw.count - count)...]))
        }
    }

    mutating func writeNATSLine(op: StaticString, _ body: ByteBuffer) {
        writeStaticString(op)
        writeImmutableBuffer(body)
        writeNATSCRLF()
    }
}
