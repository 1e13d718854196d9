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

    public enum FrameType: UInt8, Sendable {
        case ping = 1, pong, findNode, nodes, store, unstore, ack, findValue, value, forward
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
        }
    }

    /// The rpc number a request carries or an answer echoes (0 for forwards without an ack).
    public var rpc: UInt32 {
        switch self {
        case .ping(let r, _), .pong(let r, _), .findNode(let r, _, _), .nodes(let r, _, _), .store(let r, _, _, _),
             .unstore(let r, _, _), .ack(let r), .findValue(let r, _, _), .value(let r, _, _, _, _):
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
        }
        buffer.setInteger(UInt32(buffer.writerIndex - start - 4), at: start)
    }
}

/// The messages of a `forward` frame, kept as the frame's bytes (each entry `subjectLength: UInt16,
/// subject, payloadLength: UInt32, payload`) and walked without copying.
public struct MeshForwardedMessages: Sendable, Equatable, Sequence {
    public let count: Int
    /// The entries exactly as on the wire.
    public let entries: ByteBuffer

    /// Entries already checked by the parser or built by `MeshForwardBatch`.
    init(count: Int, entries: ByteBuffer) {
        self.count = count
        self.entries = entries
    }

    /// Builds the entries from (subject, payload) pairs; for tests and single messages.
    public init(_ messages: [(subject: String, payload: ByteBuffer)]) {
        var b = ByteBuffer()
        for m in messages { b.writeMeshForwardEntry(subject: m.subject.utf8, payload: m.payload) }
        self.init(count: messages.count, entries: b)
    }

    public struct Iterator: IteratorProtocol {
        var rest: ByteBuffer

        /// The next (subject, payload), as slices of the frame.
        public mutating func next() -> (subject: ByteBuffer, payload: ByteBuffer)? {
            guard let n = rest.readInteger(as: UInt16.self), let subject = rest.readSlice(length: Int(n)),
                  let p = rest.readInteger(as: UInt32.self), let payload = rest.readSlice(length: Int(p)) else { return nil }
            return (subject, payload)
        }
    }

    public func makeIterator() -> Iterator { Iterator(rest: entries) }
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

    /// Appends one forward entry (subject at most 65535 bytes).
    @inline(__always)
    public mutating func writeMeshForwardEntry<S: Collection>(subject: S, payload: ByteBuffer) where S.Element == UInt8 {
        writeInteger(UInt16(truncatingIfNeeded: subject.count))
        writeBytes(subject)
        writeInteger(UInt32(truncatingIfNeeded: payload.readableBytes))
        writeImmutableBuffer(payload)
    }
}
