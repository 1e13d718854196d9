import NIOCore

/// One frame of the mesh peer protocol.
///
/// On the wire every frame is `length: UInt32` (big-endian, the bytes that follow), `type: UInt8`,
/// then the type's fields. Integers are big-endian; a contact is `id: UInt64, port: UInt16,
/// hostLength: UInt8, host`; a key is `length: UInt16, bytes`. Requests carry an `rpc` number the
/// answer echoes, and the sender's contact, so the receiver learns of the sender.
public enum MeshFrame: Sendable, Equatable {
    case ping(rpc: UInt32, sender: MeshContact)
    case pong(rpc: UInt32, sender: MeshContact)
    /// Asks for the contacts the receiver knows closest to `target`.
    case findNode(rpc: UInt32, sender: MeshContact, target: UInt64)
    /// Answer to `findNode`.
    case nodes(rpc: UInt32, sender: MeshContact, contacts: [MeshContact])
    /// "The sender has subscribers for `key`", for `ttlMillis` unless refreshed.
    case store(rpc: UInt32, sender: MeshContact, key: [UInt8], ttlMillis: UInt32)
    /// "The sender no longer has subscribers for `key`".
    case unstore(rpc: UInt32, sender: MeshContact, key: [UInt8])
    /// Answer to `store`, `unstore` and a `forward` that asked for one.
    case ack(rpc: UInt32)
    /// Asks for the nodes stored under `key`, or else the contacts closest to it.
    case findValue(rpc: UInt32, sender: MeshContact, key: [UInt8])
    /// Answer to `findValue`: `found` says whether the receiver holds a record for the key; `values`
    /// are the subscriber nodes stored under it, `closer` the closest contacts the receiver knows.
    case value(rpc: UInt32, sender: MeshContact, found: Bool, values: [MeshContact], closer: [MeshContact])
    /// Published messages for the receiver's local subscribers. `ack` 0 asks for no answer.
    case forward(ack: UInt32, messages: MeshForwardedMessages)
    /// "The subscriber nodes stored under `key` changed: `contact` was added (or removed)", pushed by a
    /// node holding the records to the nodes that looked the key up (their cache entries); answered by `ack`.
    case update(rpc: UInt32, sender: MeshContact, key: [UInt8], contact: MeshContact, added: Bool)

    public enum FrameType: UInt8, Sendable {
        case ping = 1, pong, findNode, nodes, store, unstore, ack, findValue, value, forward, update
    }

    public var type: FrameType {
        switch self {
        case .ping: return .ping
        case .pong: return .pong
        case .findNode: return .findNode
        case .nodes: return .nodes
        case .store: return .store
        case .unstore: return .unstore
        case .ack: return .ack
        case .findValue: return .findValue
        case .value: return .value
        case .forward: return .forward
        case .update: return .update
        }
    }

    /// The rpc number a request carries or an answer echoes (0 for forwards without an ack).
    public var rpc: UInt32 {
        switch self {
        case .ping(let r, _), .pong(let r, _), .findNode(let r, _, _), .nodes(let r, _, _), .store(let r, _, _, _),
             .unstore(let r, _, _), .ack(let r), .findValue(let r, _, _), .value(let r, _, _, _, _),
             .update(let r, _, _, _, _):
            return r
        case .forward(let a, _):
            return a
        }
    }

    /// Appends the wire form of this frame to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(type.rawValue)
        switch self {
        case .ping(let rpc, let sender), .pong(let rpc, let sender):
            buffer.writeInteger(rpc)
            buffer.writeMeshContact(sender)
        case .findNode(let rpc, let sender, let target):
            buffer.writeInteger(rpc)
            buffer.writeMeshContact(sender)
            buffer.writeInteger(target)
        case .nodes(let rpc, let sender, let contacts):
            buffer.writeInteger(rpc)
            buffer.writeMeshContact(sender)
            buffer.writeMeshContacts(contacts)
        case .store(let rpc, let sender, let key, let ttl):
            buffer.writeInteger(rpc)
            buffer.writeMeshContact(sender)
            buffer.writeMeshKey(key)
            buffer.writeInteger(ttl)
        case .unstore(let rpc, let sender, let key), .findValue(let rpc, let sender, let key):
            buffer.writeInteger(rpc)
            buffer.writeMeshContact(sender)
            buffer.writeMeshKey(key)
        case .ack(let rpc):
            buffer.writeInteger(rpc)
        case .value(let rpc, let sender, let found, let values, let closer):
            buffer.writeInteger(rpc)
            buffer.writeMeshContact(sender)
            buffer.writeInteger(UInt8(found ? 1 : 0))
            buffer.writeMeshContacts(values)
            buffer.writeMeshContacts(closer)
        case .forward(let ack, let messages):
            buffer.writeInteger(ack)
            buffer.writeInteger(UInt32(messages.count))
            buffer.writeImmutableBuffer(messages.entries)
        case .update(let rpc, let sender, let key, let contact, let added):
            buffer.writeInteger(rpc)
            buffer.writeMeshContact(sender)
            buffer.writeMeshKey(key)
            buffer.writeMeshContact(contact)
            buffer.writeInteger(UInt8(added ? 1 : 0))
        }
        buffer.setInteger(UInt32(buffer.writerIndex - start - 4), at: start)
    }
}

/// The messages of a `forward` frame, kept as the frame's bytes and walked without copying. Each entry
/// is `subjectLength: UInt16, subject, replyLength: UInt16, reply, flags: UInt8, groupsLength: UInt16,
/// groups, headersLength: UInt32, headers, payloadLength: UInt32, payload`; see `MeshForwardedMessage`.
public struct MeshForwardedMessages: Sendable, Equatable, Sequence {
    public let count: Int
    /// The entries exactly as on the wire.
    public let entries: ByteBuffer

    /// Entries already checked by the parser or built by `MeshForwardBatch`.
    init(count: Int, entries: ByteBuffer) {
        self.count = count
        self.entries = entries
    }

    /// Builds the entries from messages; for tests and single messages.
    public init(_ messages: [MeshForwardedMessage]) {
        var b = ByteBuffer()
        for m in messages { b.writeMeshForwardEntry(m) }
        self.init(count: messages.count, entries: b)
    }

    /// Plain messages to the receiver's non-queue subscribers (subject and payload only).
    public init(_ messages: [(subject: String, payload: ByteBuffer)]) {
        self.init(messages.map { MeshForwardedMessage(subject: ByteBuffer(string: $0.subject), payload: $0.payload) })
    }

    public struct Iterator: IteratorProtocol {
        var rest: ByteBuffer

        /// The next message, its fields slices of the frame.
        public mutating func next() -> MeshForwardedMessage? {
            guard let n = rest.readInteger(as: UInt16.self), let subject = rest.readSlice(length: Int(n)),
                  let r = rest.readInteger(as: UInt16.self), let reply = rest.readSlice(length: Int(r)),
                  let flags = rest.readInteger(as: UInt8.self),
                  let g = rest.readInteger(as: UInt16.self), let groups = rest.readSlice(length: Int(g)),
                  let h = rest.readInteger(as: UInt32.self), let headers = rest.readSlice(length: Int(h)),
                  let p = rest.readInteger(as: UInt32.self), let payload = rest.readSlice(length: Int(p)) else { return nil }
            return MeshForwardedMessage(subject: subject, reply: r == 0 ? nil : reply,
                                        headers: flags & MeshForwardedMessage.hasHeaders != 0 ? headers : nil,
                                        plain: flags & MeshForwardedMessage.toPlain != 0, groups: g == 0 ? nil : groups,
                                        payload: payload)
        }
    }

    public func makeIterator() -> Iterator { Iterator(rest: entries) }
}

/// One forwarded message: the receiver delivers it to its non-queue subscribers matching `subject` when
/// `plain` is set, and to one member of each queue group named in `groups` (space-separated): the
/// publishing node chose this node for those groups, so every message reaches one member per group.
public struct MeshForwardedMessage: Sendable, Equatable {
    static let toPlain: UInt8 = 1
    static let hasHeaders: UInt8 = 2

    public var subject: ByteBuffer
    public var reply: ByteBuffer?
    /// The NATS header block (`NATS/1.0\r\n...\r\n\r\n`) of an HPUB, nil for a PUB.
    public var headers: ByteBuffer?
    public var plain: Bool
    public var groups: ByteBuffer?
    public var payload: ByteBuffer

    public init(subject: ByteBuffer, reply: ByteBuffer? = nil, headers: ByteBuffer? = nil, plain: Bool = true,
                groups: ByteBuffer? = nil, payload: ByteBuffer) {
        self.subject = subject
        self.reply = reply
        self.headers = headers
        self.plain = plain
        self.groups = groups
        self.payload = payload
    }
}

extension ByteBuffer {
    public mutating func writeMeshContact(_ c: MeshContact) {
        writeInteger(c.id)
        writeInteger(UInt16(truncatingIfNeeded: c.port))
        let host = Array(c.host.utf8.prefix(255))
        writeInteger(UInt8(host.count))
        writeBytes(host)
    }

    mutating func writeMeshContacts(_ contacts: [MeshContact]) {
        writeInteger(UInt16(min(contacts.count, Int(UInt16.max))))
        for c in contacts.prefix(Int(UInt16.max)) { writeMeshContact(c) }
    }

    mutating func writeMeshKey(_ key: [UInt8]) {
        writeInteger(UInt16(min(key.count, Int(UInt16.max))))
        writeBytes(key.prefix(Int(UInt16.max)))
    }

    /// Appends one forward entry (subject, reply and groups at most 65535 bytes each).
    @inline(__always)
    public mutating func writeMeshForwardEntry(_ m: MeshForwardedMessage) {
        writeMeshForwardEntry(subject: m.subject, reply: m.reply, headers: m.headers, plain: m.plain, groups: m.groups,
                              payload: m.payload)
    }

    /// The entry is laid out in one reserved stretch of the buffer: field by field, its ten
    /// `ByteBuffer` writes (each a capacity check and an exclusivity check inside NIOCore) were about a
    /// fifth of a publishing node's time (perf, 2026-12-07).
    @inline(__always)
    public mutating func writeMeshForwardEntry(subject: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer?, plain: Bool,
                                               groups: ByteBuffer?, payload: ByteBuffer) {
        let total = 15 + subject.readableBytes + (reply?.readableBytes ?? 0) + (groups?.readableBytes ?? 0)
            + (headers?.readableBytes ?? 0) + payload.readableBytes
        let flags = (plain ? MeshForwardedMessage.toPlain : 0) | (headers == nil ? 0 : MeshForwardedMessage.hasHeaders)
        writeWithUnsafeMutableBytes(minimumWritableBytes: total) { out in
            var at = 0
            func integer<T: FixedWidthInteger>(_ value: T) {
                out.storeBytes(of: value.bigEndian, toByteOffset: at, as: T.self)
                at += MemoryLayout<T>.size
            }
            func bytes(_ buffer: ByteBuffer?) {
                guard let buffer, buffer.readableBytes > 0 else { return }
                buffer.withUnsafeReadableBytes { src in
                    (out.baseAddress! + at).copyMemory(from: src.baseAddress!, byteCount: src.count)
                }
                at += buffer.readableBytes
            }
            integer(UInt16(truncatingIfNeeded: subject.readableBytes))
            bytes(subject)
            integer(UInt16(truncatingIfNeeded: reply?.readableBytes ?? 0))
            bytes(reply)
            integer(flags)
            integer(UInt16(truncatingIfNeeded: groups?.readableBytes ?? 0))
            bytes(groups)
            integer(UInt32(truncatingIfNeeded: headers?.readableBytes ?? 0))
            bytes(headers)
            integer(UInt32(truncatingIfNeeded: payload.readableBytes))
            bytes(payload)
            return at
        }
    }
}
