import NIOCore

/// Incremental parser of mesh peer frames: feed it whatever bytes arrived and call `next` until it
/// returns nil. A frame is only decoded once all its bytes are there; errors are `MeshProtocolError`s
/// naming the stream offset of the offending byte.
public struct MeshFrameParser: Sendable {
    /// Largest frame accepted by default (16 MiB).
    public static let defaultMaxFrame = 16 << 20

    public let maxFrame: Int
    /// Stream offset of the next unparsed byte.
    public private(set) var offset = 0

    public init(maxFrame: Int = MeshFrameParser.defaultMaxFrame) {
        self.maxFrame = maxFrame
    }

    /// Parses the next complete frame at the reader index of `buffer` and consumes its bytes, or
    /// returns nil (consuming nothing) when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws -> MeshFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= 1, Int(length) <= maxFrame else {
            throw MeshProtocolError(.badFrameLength, offset: offset,
                                    "frame length \(length) is outside 1...\(maxFrame)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        guard let body = buffer.getSlice(at: buffer.readerIndex + 4, length: Int(length)) else { return nil }
        var reader = FieldReader(body: body, base: offset + 4)
        let frame = try reader.frame()
        if reader.body.readableBytes > 0 {
            throw MeshProtocolError(.trailingBytes, offset: reader.position,
                                    "\(reader.body.readableBytes) bytes after the last field of a \(frame.type) frame")
        }
        buffer.moveReaderIndex(forwardBy: 4 + Int(length))
        offset += 4 + Int(length)
        return frame
    }
}

/// Reads the fields of one frame body, keeping the stream offset for errors. Field names are
/// autoclosures: a `forward` frame names ten fields per message (`"payload length of message \(i)"`),
/// and building those strings eagerly was the largest cost of a receiving node (perf, 2026-12-07).
private struct FieldReader {
    var body: ByteBuffer
    let base: Int
    private let start: Int

    init(body: ByteBuffer, base: Int) {
        self.body = body
        self.base = base
        start = body.readerIndex
    }

    var position: Int { base + body.readerIndex - start }

    mutating func frame() throws -> MeshFrame {
        let typeAt = position
        let raw: UInt8 = try int("frame type")
        guard let type = MeshFrame.FrameType(rawValue: raw) else {
            throw MeshProtocolError(.unknownFrameType, offset: typeAt, "unknown frame type \(raw)")
        }
        switch type {
        case .ping: return .ping(rpc: try int("rpc"), sender: try contact("sender"))
        case .pong: return .pong(rpc: try int("rpc"), sender: try contact("sender"))
        case .findNode: return .findNode(rpc: try int("rpc"), sender: try contact("sender"), target: try int("target id"))
        case .nodes: return .nodes(rpc: try int("rpc"), sender: try contact("sender"), contacts: try contacts("contacts"))
        case .store:
            return .store(rpc: try int("rpc"), sender: try contact("sender"), key: try key(), ttlMillis: try int("ttl"))
        case .unstore: return .unstore(rpc: try int("rpc"), sender: try contact("sender"), key: try key())
        case .ack: return .ack(rpc: try int("rpc"))
        case .findValue: return .findValue(rpc: try int("rpc"), sender: try contact("sender"), key: try key())
        case .value:
            let rpc: UInt32 = try int("rpc")
            let sender = try contact("sender")
            let foundAt = position
            let found: UInt8 = try int("found flag")
            guard found <= 1 else { throw MeshProtocolError(.badField, offset: foundAt, "found flag is \(found), expected 0 or 1") }
            return .value(rpc: rpc, sender: sender, found: found == 1, values: try contacts("values"), closer: try contacts("closer contacts"))
        case .forward:
            let ack: UInt32 = try int("ack rpc")
            let count: UInt32 = try int("message count")
            let entriesStart = body.readerIndex
            let rest = body // get* reads only at or after the reader index, so keep a view from here
            for i in 0..<Int(count) {
                let n: UInt16 = try int("subject length of message \(i)")
                try skip(Int(n), "subject of message \(i)")
                let r: UInt16 = try int("reply length of message \(i)")
                try skip(Int(r), "reply of message \(i)")
                let _: UInt8 = try int("flags of message \(i)")
                let g: UInt16 = try int("queue groups length of message \(i)")
                try skip(Int(g), "queue groups of message \(i)")
                let h: UInt32 = try int("headers length of message \(i)")
                try skip(Int(h), "headers of message \(i)")
                let p: UInt32 = try int("payload length of message \(i)")
                try skip(Int(p), "payload of message \(i)")
            }
            let entries = rest.getSlice(at: entriesStart, length: body.readerIndex - entriesStart) ?? ByteBuffer()
            return .forward(ack: ack, messages: MeshForwardedMessages(count: Int(count), entries: entries))
        case .update:
            let rpc: UInt32 = try int("rpc")
            let sender = try contact("sender")
            let k = try key()
            let c = try contact("updated contact")
            let addedAt = position
            let added: UInt8 = try int("added flag")
            guard added <= 1 else { throw MeshProtocolError(.badField, offset: addedAt, "added flag is \(added), expected 0 or 1") }
            return .update(rpc: rpc, sender: sender, key: k, contact: c, added: added == 1)
        }
    }

    mutating func int<T: FixedWidthInteger>(_ what: @autoclosure () -> String) throws -> T {
        let at = position
        guard let v = body.readInteger(as: T.self) else {
            throw MeshProtocolError(
                .truncatedField, offset: at, "\(what()) (\(MemoryLayout<T>.size) bytes) runs past the end of the frame")
        }
        return v
    }

    mutating func skip(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard body.readableBytes >= n else {
            throw MeshProtocolError(
                .truncatedField, offset: position, "\(what()) (\(n) bytes) runs past the end of the frame")
        }
        body.moveReaderIndex(forwardBy: n)
    }

    mutating func contact(_ what: String) throws -> MeshContact {
        let id: UInt64 = try int("\(what) id")
        let port: UInt16 = try int("\(what) port")
        let n: UInt8 = try int("\(what) host length")
        let at = position
        guard let bytes = body.readBytes(length: Int(n)) else {
            throw MeshProtocolError(.truncatedField, offset: at, "\(what) host (\(n) bytes) runs past the end of the frame")
        }
        guard let host = String(validating: bytes, as: UTF8.self) else {
            throw MeshProtocolError(.badField, offset: at, "\(what) host is not UTF-8")
        }
        return MeshContact(id: id, host: host, port: Int(port))
    }

    mutating func contacts(_ what: String) throws -> [MeshContact] {
        let n: UInt16 = try int("\(what) count")
        var out: [MeshContact] = []
        out.reserveCapacity(Int(n))
        for i in 0..<Int(n) { out.append(try contact("\(what)[\(i)]")) }
        return out
    }

    mutating func key() throws -> [UInt8] {
        let n: UInt16 = try int("key length")
        let at = position
        guard let bytes = body.readBytes(length: Int(n)) else {
            throw MeshProtocolError(.truncatedField, offset: at, "key (\(n) bytes) runs past the end of the frame")
        }
        return bytes
    }
}

/// `ByteToMessageDecoder` producing `MeshFrame`s.
public struct MeshFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = MeshFrame
    private var parser: MeshFrameParser

    public init(parser: MeshFrameParser = MeshFrameParser()) { self.parser = parser }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try parser.next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
