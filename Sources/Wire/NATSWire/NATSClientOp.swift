import NIOCore

/// An operation a client sends to a server, as the server-side parser yields it.
///
/// Byte fields are slices of the parser's input (no copy); `sid` and `queue` stay bytes because the
/// protocol lets a client choose any token as a subscription id.
public enum NATSClientOp: Sendable, Equatable {
    /// `CONNECT {json}` — the JSON text as sent.
    case connect(json: ByteBuffer)
    /// `PUB subject [reply] size` followed by the payload.
    case pub(subject: ByteBuffer, reply: ByteBuffer?, payload: ByteBuffer)
    /// `HPUB subject [reply] hdr_size total_size` followed by headers then payload.
    case hpub(subject: ByteBuffer, reply: ByteBuffer?, headers: ByteBuffer, payload: ByteBuffer)
    /// `SUB subject [queue] sid`.
    case sub(subject: ByteBuffer, queue: ByteBuffer?, sid: ByteBuffer)
    /// `UNSUB sid [max]`.
    case unsub(sid: ByteBuffer, max: Int?)
    case ping
    case pong

    /// Appends the wire form of this operation to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .connect(let json):
            buffer.writeNATSLine(op: "CONNECT ", json)
        case .pub(let subject, let reply, let payload):
            buffer.writeNATSPub(subject: subject.readableBytesView, reply: reply?.readableBytesView, payload: payload)
        case .hpub(let subject, let reply, let headers, let payload):
            buffer.writeNATSHPub(subject: subject.readableBytesView, reply: reply?.readableBytesView, headers: headers, payload: payload)
        case .sub(let subject, let queue, let sid):
            buffer.writeNATSSub(subject: subject.readableBytesView, queue: queue?.readableBytesView, sid: sid.readableBytesView)
        case .unsub(let sid, let max):
            buffer.writeNATSUnsub(sid: sid.readableBytesView, max: max)
        case .ping:
            buffer.writeNATSPing()
        case .pong:
            buffer.writeNATSPong()
        }
    }
}
