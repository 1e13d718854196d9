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

    @inline(__always)
    public mutating func append<S: Collection>(subject: S, payload: ByteBuffer, in buffer: inout ByteBuffer) where S.Element == UInt8 {
        buffer.writeMeshForwardEntry(subject: subject, payload: payload)
        count += 1
    }

    /// Appends one message whose subject is a buffer (copied without going through a collection view).
    @inline(__always)
    public mutating func append(subject: ByteBuffer, payload: ByteBuffer, in buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(truncatingIfNeeded: subject.readableBytes))
        buffer.writeImmutableBuffer(subject)
        buffer.writeInteger(UInt32(truncatingIfNeeded: payload.readableBytes))
        buffer.writeImmutableBuffer(payload)
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
