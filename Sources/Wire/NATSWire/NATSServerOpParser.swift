import NIOCore

/// Client-side parser of the operations a server sends (`INFO`, `MSG`, `HMSG`, `PING`, `PONG`, `+OK`,
/// `-ERR`), incremental like `NATSClientOpParser`.
///
/// On the `MSG` hot path the subject, reply and payload are `ByteBuffer` slices of the input and the
/// sid an integer: no `String` and no heap allocation per message. A sid that is not a decimal
/// number is a `.badArguments` error (clients of this parser choose numeric sids).
public struct NATSServerOpParser: Sendable {
    private var scanner: NATSFrameScanner

    public init(maxControlLine: Int = NATSClientOpParser.defaultMaxControlLine, maxPayload: Int = .max) {
        scanner = NATSFrameScanner(side: .client, maxControlLine: maxControlLine, maxPayload: maxPayload)
    }

    /// Stream offset of the next unparsed byte.
    public var offset: Int { scanner.consumed }

    /// Parses the next complete operation at the reader index of `buffer` and consumes its bytes, or
    /// returns nil (consuming nothing) when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws -> NATSServerOp? {
        guard let frame = try scanner.next(buffer) else { return nil }
        let op = try makeOp(frame, buffer)
        scanner.consume(frame, from: &buffer)
        return op
    }

    private func makeOp(_ f: NATSFrame, _ b: ByteBuffer) throws -> NATSServerOp {
        @inline(__always) func slice(_ r: Range<Int>) -> ByteBuffer {
            b.getSlice(at: b.readerIndex + r.lowerBound, length: r.count) ?? ByteBuffer()
        }
        func sid() throws -> UInt64 {
            let r = f.args[1]
            if let v = b.withUnsafeReadableBytes({ NATSFrameScanner.decimal($0, r) }) { return UInt64(v) }
            let text = b.getString(at: b.readerIndex + r.lowerBound, length: r.count) ?? ""
            throw NATSProtocolError(.badArguments, offset: scanner.consumed + r.lowerBound,
                                    "\(f.op.name) sid '\(text)' is not a decimal number")
        }
        switch f.op {
        case .info:
            return .info(json: slice(f.text))
        case .msg:
            return .msg(subject: slice(f.args[0]), sid: try sid(), reply: f.args.count == 4 ? slice(f.args[2]) : nil,
                        payload: slice(f.payloadStart..<(f.payloadStart + f.totalSize)))
        case .hmsg:
            let h = f.payloadStart..<(f.payloadStart + f.headerSize)
            return .hmsg(subject: slice(f.args[0]), sid: try sid(), reply: f.args.count == 5 ? slice(f.args[2]) : nil,
                         headers: slice(h), payload: slice(h.upperBound..<(f.payloadStart + f.totalSize)))
        case .ok:
            return .ok
        case .err:
            var text = b.getString(at: b.readerIndex + f.text.lowerBound, length: f.text.count) ?? ""
            if text.count >= 2, text.hasPrefix("'"), text.hasSuffix("'") { text = String(text.dropFirst().dropLast()) }
            return .err(text)
        case .pong:
            return .pong
        default:
            return .ping
        }
    }
}
