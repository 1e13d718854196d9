import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Operation codes of both directions of the protocol.
enum NATSOpcode: Sendable {
    case connect, pub, hpub, sub, unsub, ping, pong, info, msg, hmsg, ok, err

    var name: String {
        switch self {
        case .connect: "CONNECT"
        case .pub: "PUB"
        case .hpub: "HPUB"
        case .sub: "SUB"
        case .unsub: "UNSUB"
        case .ping: "PING"
        case .pong: "PONG"
        case .info: "INFO"
        case .msg: "MSG"
        case .hmsg: "HMSG"
        case .ok: "+OK"
        case .err: "-ERR"
        }
    }
}

/// Up to five argument ranges of a control line, stored inline as 32-bit offsets (no heap
/// allocation per line, and small enough that passing frames around stays cheap).
struct NATSArgs {
    private(set) var count = 0
    private var bounds: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    static let capacity = 5

    subscript(i: Int) -> Range<Int> {
        withUnsafeBytes(of: bounds) { raw in
            let b = raw.bindMemory(to: UInt32.self)
            return Int(b[2 * i])..<Int(b[2 * i + 1])
        }
    }

    mutating func append(_ r: Range<Int>) {
        let i = count
        withUnsafeMutableBytes(of: &bounds) { raw in
            let b = raw.bindMemory(to: UInt32.self)
            b[2 * i] = UInt32(truncatingIfNeeded: r.lowerBound)
            b[2 * i + 1] = UInt32(truncatingIfNeeded: r.upperBound)
        }
        count += 1
    }
}

/// One complete operation found at the reader index of a buffer; every range is relative to the
/// reader index.
struct NATSFrame {
    var op: NATSOpcode
    var args = NATSArgs()
    /// For CONNECT, INFO and -ERR: the text after the operation name, trimmed.
    var text = 0..<0
    /// Headers then payload (HPUB/HMSG) or payload (PUB/MSG).
    var payloadStart = 0
    var headerSize = 0
    var totalSize = 0
    /// Bytes to consume for the whole operation, terminators included.
    var length = 0
}

/// The incremental engine both parsers share: finds the control line, names the operation, splits and
/// checks its arguments and waits for the payload. It never moves the buffer's reader index; the caller
/// builds its typed operation from the frame and then calls `consume`.
struct NATSFrameScanner: Sendable {
    enum Side: Sendable { case server, client }

    let side: Side
    let maxControlLine: Int
    let maxPayload: Int
    /// Stream offset of the buffer's reader index (bytes consumed so far).
    private(set) var consumed = 0
    /// Bytes after the reader index already searched for a line feed.
    private var scanned = 0
    /// A control line parsed earlier whose payload has not fully arrived.
    private var pending: NATSFrame?

    init(side: Side, maxControlLine: Int, maxPayload: Int) {
        self.side = side
        self.maxControlLine = maxControlLine
        self.maxPayload = maxPayload
    }

    mutating func consume(_ frame: NATSFrame, from buffer: inout ByteBuffer) {
        consume(length: frame.length, from: &buffer)
    }

    mutating func consume(length: Int, from buffer: inout ByteBuffer) {
        buffer.moveReaderIndex(forwardBy: length)
        consumed += length
        scanned = 0
        pending = nil
    }

    mutating func next(_ buffer: ByteBuffer) throws -> NATSFrame? {
        if let frame = pending {
            return try completePayload(frame, buffer)
        }
        let base = consumed
        let maxLine = maxControlLine
        let from = scanned
        let lineFeed: Int? = buffer.withUnsafeReadableBytes { raw in
            guard from < raw.count, let start = raw.baseAddress else { return nil }
            guard let hit = memchr(start + from, 0x0A, raw.count - from) else { return nil }
            return UnsafeRawPointer(hit) - start
        }
        guard let lineFeed else {
            scanned = buffer.readableBytes
            if side == .server {
                // nats-server's state machine refuses a wrong operation name at its first bad byte,
                // long before the line ends (10 MB of garbage gets `Unknown Protocol Operation`).
                try buffer.withUnsafeReadableBytes { raw in
                    if let bad = Self.badOperationPrefix(raw) { throw unknownOperation(raw, bad, base: base) }
                }
            }
            if buffer.readableBytes > maxLine + 1 {
                throw NATSProtocolError(.controlLineTooLong, offset: base + maxLine,
                                        "control line exceeds the limit of \(maxLine) bytes")
            }
            return nil
        }
        var frame = try buffer.withUnsafeReadableBytes { raw in
            try parseLine(raw, lineFeed: lineFeed, base: base)
        }
        if frame.payloadStart == 0 {
            return frame
        }
        frame.length = frame.payloadStart + frame.totalSize + 2
        return try completePayload(frame, buffer)
    }

    private mutating func completePayload(_ frame: NATSFrame, _ buffer: ByteBuffer) throws -> NATSFrame? {
        guard buffer.readableBytes >= frame.length else {
            pending = frame
            return nil
        }
        let end = frame.payloadStart + frame.totalSize
        let cr = buffer.getInteger(at: buffer.readerIndex + end, as: UInt8.self)
        let lf = buffer.getInteger(at: buffer.readerIndex + end + 1, as: UInt8.self)
        if cr != 0x0D || lf != 0x0A {
            let bad = cr != 0x0D ? end : end + 1
            let found = (cr != 0x0D ? cr : lf) ?? 0
            throw NATSProtocolError(.missingPayloadTerminator, offset: consumed + bad,
                                    "\(frame.op.name) payload of \(frame.totalSize) bytes is not followed by CRLF (found \(describe(found)))")
        }
        return frame
    }

    private func parseLine(_ raw: UnsafeRawBufferPointer, lineFeed: Int, base: Int) throws -> NATSFrame {
        var end = lineFeed
        if end > 0 && raw[end - 1] == 0x0D { end -= 1 }
        if end > maxControlLine {
            throw NATSProtocolError(.controlLineTooLong, offset: base + maxControlLine,
                                    "control line exceeds the limit of \(maxControlLine) bytes")
        }
        var opEnd = 0
        while opEnd < end && !isSpace(raw[opEnd]) { opEnd += 1 }
        guard let op = opcode(raw, opEnd) else {
            let line = UnsafeRawBufferPointer(rebasing: raw[0..<min(end + 1, raw.count)])
            throw unknownOperation(raw, Self.badOperationPrefix(line) ?? 0, base: base)
        }
        var frame = NATSFrame(op: op)
        frame.length = lineFeed + 1
        if side == .server && opEnd == end && op != .ping && op != .pong {
            // nats-server wants a space after these names: `PUB\r\n` is an unknown operation to it.
            throw NATSProtocolError(.unknownOperation, offset: base + opEnd, "\(op.name) without arguments")
        }
        switch op {
        case .ping, .pong, .ok:
            return frame
        case .connect, .info, .err:
            var s = opEnd
            while s < end && isSpace(raw[s]) { s += 1 }
            var e = end
            while e > s && isSpace(raw[e - 1]) { e -= 1 }
            if op != .err && s == e {
                throw NATSProtocolError(.badArguments, offset: base + s, "\(op.name) without its JSON argument")
            }
            frame.text = s..<e
            return frame
        default:
            break
        }
        var i = opEnd
        while i < end {
            while i < end && isSpace(raw[i]) { i += 1 }
            if i == end { break }
            let s = i
            while i < end && !isSpace(raw[i]) { i += 1 }
            if frame.args.count == NATSArgs.capacity {
                throw NATSProtocolError(.badArguments, offset: base + s, "too many arguments to \(op.name)")
            }
            frame.args.append(s..<i)
        }
        let n = frame.args.count
        let usage: String
        let counts: ClosedRange<Int>
        switch op {
        case .pub: (usage, counts) = ("subject [reply] size", 2...3)
        case .hpub: (usage, counts) = ("subject [reply] header_size total_size", 3...4)
        case .sub: (usage, counts) = ("subject [queue] sid", 2...3)
        case .unsub: (usage, counts) = ("sid [max_msgs]", 1...2)
        case .msg: (usage, counts) = ("subject sid [reply] size", 3...4)
        case .hmsg: (usage, counts) = ("subject sid [reply] header_size total_size", 4...5)
        default: (usage, counts) = ("", 0...0)
        }
        if !counts.contains(n) {
            throw NATSProtocolError(.badArguments, offset: base + (n > 0 ? frame.args[n - 1].lowerBound : opEnd),
                                    "\(op.name) takes '\(usage)', found \(n) argument\(n == 1 ? "" : "s")")
        }
        switch op {
        case .pub, .msg:
            frame.totalSize = try size(raw, frame.args[n - 1], base: base, field: "size", op: op)
        case .hpub, .hmsg:
            frame.headerSize = try size(raw, frame.args[n - 2], base: base, field: "header size", op: op)
            frame.totalSize = try size(raw, frame.args[n - 1], base: base, field: "total size", op: op)
            if frame.headerSize > frame.totalSize {
                throw NATSProtocolError(.badSize, offset: base + frame.args[n - 2].lowerBound,
                                        "\(op.name) header size \(frame.headerSize) is larger than total size \(frame.totalSize)")
            }
        case .unsub where n == 2 && side == .client:
            _ = try size(raw, frame.args[1], base: base, field: "max_msgs", op: op)
            return frame
        default:
            return frame
        }
        if frame.totalSize > maxPayload {
            throw NATSProtocolError(.maxPayloadExceeded, offset: base + frame.args[n - 1].lowerBound,
                                    "\(op.name) payload of \(frame.totalSize) bytes exceeds the maximum of \(maxPayload)")
        }
        frame.payloadStart = lineFeed + 1
        return frame
    }

    private func size(_ raw: UnsafeRawBufferPointer, _ r: Range<Int>, base: Int, field: String, op: NATSOpcode) throws -> Int {
        // nats-server reads at most 9 digits (its parseSize); more is a bad size to it, not a big one.
        if side == .server && r.count > Self.serverSizeDigits {
            throw NATSProtocolError(.badSize, offset: base + r.lowerBound, "\(op.name) \(field) has over 9 digits")
        }
        if let v = Self.decimal(raw, r) { return v }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: raw[r]), as: UTF8.self)
        throw NATSProtocolError(.badSize, offset: base + r.lowerBound, "\(op.name) \(field) '\(text)' is not a decimal number")
    }

    /// A non-negative decimal of at most 18 digits, or nil.
    static func decimal(_ raw: UnsafeRawBufferPointer, _ r: Range<Int>) -> Int? {
        if r.isEmpty || r.count > 18 { return nil }
        var v = 0
        for i in r {
            let d = raw[i] &- 48
            if d > 9 { return nil }
            v = v &* 10 &+ Int(d)
        }
        return v
    }

    /// The same error for a wrong operation name whether or not its line is complete: the byte at
    /// `bad` cannot continue any operation name.
    private func unknownOperation(_ raw: UnsafeRawBufferPointer, _ bad: Int, base: Int) -> NATSProtocolError {
        let before = String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<min(bad, 20)]), as: UTF8.self)
        let at = bad < raw.count ? describe(raw[bad]) : "end of line"
        let text = bad == 0 ? "unknown protocol operation starting with \(at)"
            : "unknown protocol operation: \(at) after '\(before)'"
        return NATSProtocolError(.unknownOperation, offset: base + bad, text)
    }

    /// The most digits a size may have on the server side (nats-server's `maxParseSizeLen`).
    static let serverSizeDigits = 9

    /// The offset of the first byte at which `raw` (a control line with no line feed yet) stops being
    /// the start of a client operation, or nil while it still may be one.
    ///
    /// Runs at the end of every read that stops inside a line, or on an empty buffer: it must not
    /// allocate (it did, an array per read, until 2026-12-07).
    static func badOperationPrefix(_ raw: UnsafeRawBufferPointer) -> Int? {
        if raw.isEmpty { return nil }
        var alive: UInt8 = (1 << clientOperationNames.count) - 1
        for i in 0..<raw.count {
            var b = raw[i]
            if b >= 97 && b <= 122 { b &-= 32 }
            for k in 0..<clientOperationNames.count where alive & (1 << k) != 0 {
                let name = clientOperationNames[k]
                if i < name.utf8CodeUnitCount {
                    if name.utf8Start[i] != b { alive &= ~(1 << k) }
                } else if k == 4 || k == 5 {
                    return nil  // PING/PONG: nats-server ignores whatever follows up to the line feed
                } else {
                    return b == 0x20 || b == 0x09 || b == 0x0D ? nil : i
                }
            }
            if alive == 0 { return i }
        }
        return nil
    }

    /// The operations a client sends; PING and PONG (4 and 5) may be followed by anything.
    private static let clientOperationNames: [StaticString] = ["PUB", "HPUB", "SUB", "UNSUB", "PING", "PONG", "CONNECT"]

    private func opcode(_ raw: UnsafeRawBufferPointer, _ n: Int) -> NATSOpcode? {
        func upper(_ i: Int) -> UInt8 {
            let b = raw[i]
            return (b >= 97 && b <= 122) ? b &- 32 : b
        }
        func equals(_ s: StaticString) -> Bool {
            guard s.utf8CodeUnitCount == n else { return false }
            let p = s.utf8Start
            for i in 0..<n where upper(i) != p[i] { return false }
            return true
        }
        // nats-server takes `PINGxyz` for PING: after the name it skips to the line feed.
        func pingOrPong() -> NATSOpcode? {
            guard n > 4, upper(0) == 0x50, upper(2) == 0x4E, upper(3) == 0x47 else { return nil }
            return upper(1) == 0x49 ? .ping : upper(1) == 0x4F ? .pong : nil
        }
        switch side {
        case .server:
            switch n {
            case 3: return equals("PUB") ? .pub : equals("SUB") ? .sub : nil
            case 4: return equals("PING") ? .ping : equals("PONG") ? .pong : equals("HPUB") ? .hpub : nil
            case 5: return equals("UNSUB") ? .unsub : pingOrPong()
            case 7: return equals("CONNECT") ? .connect : pingOrPong()
            default: return pingOrPong()
            }
        case .client:
            switch n {
            case 3: return equals("MSG") ? .msg : equals("+OK") ? .ok : nil
            case 4: return equals("HMSG") ? .hmsg : equals("PING") ? .ping : equals("PONG") ? .pong
                : equals("INFO") ? .info : equals("-ERR") ? .err : nil
            default: return nil
            }
        }
    }

    @inline(__always) private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    private func describe(_ b: UInt8) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        let h = hex.count < 2 ? "0" + hex : hex
        return (b >= 0x20 && b < 0x7F) ? "'\(Character(Unicode.Scalar(b)))' 0x\(h)" : "0x\(h)"
    }
}
