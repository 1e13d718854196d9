import NIOCore

/// Builds one `forward` frame in place in an output buffer: `begin` reserves the header, `append`
/// copies each message in, `finish` patches length and count. Used by a node to coalesce the
/// messages it forwards to one peer into a single frame and a single write.
public struct MeshForwardBatch: Sendable {
    private var headerAt = -1
    public private(set) var count = 0

    public init() {}

    public var isOpen: Bool { headerAt >= 0 }

    /// Starts a frame at the end of `buffer`.
    public mutating func begin(in buffer: inout ByteBuffer, ack: UInt32 = 0) {
        headerAt = buffer.writerIndex
        count = 0
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(MeshFrame.FrameType.forward.rawValue)
        buffer.writeInteger(ack)
        buffer.writeInteger(UInt32(0))
    }

    /// Appends one message (copied in).
    @inline(__always)
    public mutating func append(subject: ByteBuffer, reply: ByteBuffer? = nil, headers: ByteBuffer? = nil, plain: Bool = true,
                                groups: ByteBuffer? = nil, payload: ByteBuffer, in buffer: inout ByteBuffer) {
        buffer.writeMeshForwardEntry(subject: subject, reply: reply, headers: headers, plain: plain, groups: groups,
                                     payload: payload)
        count += 1
    }

    /// Completes the open frame; returns the number of messages in it.
    @discardableResult
    public mutating func finish(in buffer: inout ByteBuffer) -> Int {
        guard headerAt >= 0 else { return 0 }
        buffer.setInteger(UInt32(buffer.writerIndex - headerAt - 4), at: headerAt)
        buffer.setInteger(UInt32(count), at: headerAt + 9)
        headerAt = -1
        let n = count
        count = 0
        return n
    }
}
