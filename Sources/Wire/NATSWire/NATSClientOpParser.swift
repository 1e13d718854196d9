import NIOCore

/// Server-side parser of the operations a client sends (`CONNECT`, `PUB`, `HPUB`, `SUB`, `UNSUB`,
/// `PING`, `PONG`), incremental: feed it whatever bytes arrived and call `next` until it returns nil.
///
/// Accepts what nats-server 2.9 accepts: operation names in any case, arguments separated by any run
/// of spaces and tabs, control lines ending in `\r\n` or `\n`; payloads must be followed by `\r\n`.
/// Errors are `NATSProtocolError`s naming the stream offset of the offending byte.
public struct NATSClientOpParser: Sendable {
    /// nats-server's `MAX_CONTROL_LINE_SIZE`.
    public static let defaultMaxControlLine = 4096

    private var scanner: NATSFrameScanner

    /// - Parameter maxPayload: a `PUB`/`HPUB` announcing more bytes fails with `.maxPayloadExceeded`
    ///   as soon as its control line is read.
    public init(maxControlLine: Int = NATSClientOpParser.defaultMaxControlLine, maxPayload: Int = .max) {
        scanner = NATSFrameScanner(side: .server, maxControlLine: maxControlLine, maxPayload: maxPayload)
    }

    /// Stream offset of the next unparsed byte.
    public var offset: Int { scanner.consumed }

    /// Parses the next complete operation at the reader index of `buffer` and consumes its bytes, or
    /// returns nil (consuming nothing) when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws -> NATSClientOp? {
        guard let frame = try scanner.next(buffer) else { return nil }
        let op = Self.makeOp(frame, buffer)
        scanner.consume(frame, from: &buffer)
        return op
    }

    /// Like `next`, except that a `PUB` without a reply subject comes back as `.publish`, the places of
    /// its subject and payload in `buffer`, and is not consumed: read them, then call
    /// `consume(_:from:)`. A server that routes most messages to nobody (or from a dispatch cache)
    /// then builds no slices for them. Every other operation is built and consumed as by `next`.
    public mutating func nextFrame(_ buffer: inout ByteBuffer) throws -> NATSClientFrame? {
        guard let frame = try scanner.next(buffer) else { return nil }
        if frame.op == .pub && frame.args.count == 2 {
            return .publish(NATSPublishFrame(
                subject: frame.args[0], payload: frame.payloadStart..<(frame.payloadStart + frame.totalSize),
                length: frame.length))
        }
        let op = Self.makeOp(frame, buffer)
        scanner.consume(frame, from: &buffer)
        return .op(op)
    }

    /// Consumes the `PUB` that `nextFrame` returned without consuming it.
    public mutating func consume(_ publish: NATSPublishFrame, from buffer: inout ByteBuffer) {
        scanner.consume(length: publish.length, from: &buffer)
    }

    private static func makeOp(_ f: NATSFrame, _ b: ByteBuffer) -> NATSClientOp {
        @inline(__always) func slice(_ r: Range<Int>) -> ByteBuffer {
            b.getSlice(at: b.readerIndex + r.lowerBound, length: r.count) ?? ByteBuffer()
        }
        switch f.op {
        case .connect:
            return .connect(json: slice(f.text))
        case .pub:
            return .pub(subject: slice(f.args[0]), reply: f.args.count == 3 ? slice(f.args[1]) : nil,
                        payload: slice(f.payloadStart..<(f.payloadStart + f.totalSize)))
        case .hpub:
            let h = f.payloadStart..<(f.payloadStart + f.headerSize)
            return .hpub(subject: slice(f.args[0]), reply: f.args.count == 4 ? slice(f.args[1]) : nil,
                         headers: slice(h), payload: slice(h.upperBound..<(f.payloadStart + f.totalSize)))
        case .sub:
            return .sub(subject: slice(f.args[0]), queue: f.args.count == 3 ? slice(f.args[1]) : nil,
                        sid: slice(f.args[f.args.count - 1]))
        case .unsub:
            var max: Int?
            if f.args.count == 2 {
                // As nats-server: a max that is no number of at most 9 digits unsubscribes at once (0).
                let r = f.args[1]
                max = r.count > NATSFrameScanner.serverSizeDigits
                    ? 0 : b.withUnsafeReadableBytes { NATSFrameScanner.decimal($0, r) } ?? 0
            }
            return .unsub(sid: slice(f.args[0]), max: max)
        case .pong:
            return .pong
        default:
            return .ping
        }
    }
}

/// What `NATSClientOpParser.nextFrame` found.
public enum NATSClientFrame: Sendable {
    /// A `PUB subject size` without a reply subject, still in the buffer.
    case publish(NATSPublishFrame)
    /// Any other operation, already consumed.
    case op(NATSClientOp)
}

/// Where a `PUB`'s subject and payload lie, relative to the buffer's reader index.
public struct NATSPublishFrame: Sendable {
    public let subject: Range<Int>
    public let payload: Range<Int>
    /// Bytes of the whole operation, terminators included.
    let length: Int
}
