import NIOCore

/// An operation a server sends to a client, as the client-side parser yields it.
///
/// `MSG`/`HMSG` carry their subject, reply, headers and payload as slices of the parser's input and the
/// subscription id as an integer, so the hot path creates no `String` per message.
public enum NATSServerOp: Sendable, Equatable {
    /// `INFO {json}` — the JSON text as sent.
    case info(json: ByteBuffer)
    /// `MSG subject sid [reply] size` followed by the payload.
    case msg(subject: ByteBuffer, sid: UInt64, reply: ByteBuffer?, payload: ByteBuffer)
    /// `HMSG subject sid [reply] hdr_size total_size` followed by headers then payload.
    case hmsg(subject: ByteBuffer, sid: UInt64, reply: ByteBuffer?, headers: ByteBuffer, payload: ByteBuffer)
    case ping
    case pong
    case ok
    /// `-ERR 'text'` — the text without the quotes.
    case err(String)

    /// Appends the wire form of this operation to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .info(let json):
            buffer.writeNATSLine(op: "INFO ", json)
        case .msg(let subject, let sid, let reply, let payload):
            buffer.writeNATSMsg(subject: subject.readableBytesView, sid: sid, reply: reply?.readableBytesView, payload: payload)
        case .hmsg(let subject, let sid, let reply, let headers, let payload):
            buffer.writeNATSHMsg(subject: subject.readableBytesView, sid: sid, reply: reply?.readableBytesView, headers: headers, payload: payload)
        case .ping:
            buffer.writeNATSPing()
        case .pong:
            buffer.writeNATSPong()
        case .ok:
            buffer.writeNATSOK()
        case .err(let text):
            buffer.writeNATSErr(text)
        }
    }
}
