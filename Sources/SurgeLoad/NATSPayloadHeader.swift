import NIOCore

/// The 16 bytes every load message starts with, little-endian: send time (CLOCK_MONOTONIC ns, 8),
/// sequence number within the phase (4), publisher index (2), phase number (2). The rest of the
/// payload is filler.
struct NATSPayloadHeader {
    static let size = 16

    var timestamp: UInt64
    var sequence: UInt32
    var publisher: UInt16
    var phase: UInt16

    @inline(__always)
    init(timestamp: UInt64, sequence: UInt32, publisher: UInt16, phase: UInt16) {
        self.timestamp = timestamp
        self.sequence = sequence
        self.publisher = publisher
        self.phase = phase
    }

    /// Reads the header at the start of `payload`, or nil when the payload is shorter than 16 bytes.
    @inline(__always)
    init?(_ payload: ByteBuffer) {
        guard payload.readableBytes >= Self.size else { return nil }
        let r = payload.readerIndex
        guard let t = payload.getInteger(at: r, endianness: .little, as: UInt64.self),
              let s = payload.getInteger(at: r + 8, endianness: .little, as: UInt32.self),
              let p = payload.getInteger(at: r + 12, endianness: .little, as: UInt16.self),
              let e = payload.getInteger(at: r + 14, endianness: .little, as: UInt16.self) else { return nil }
        self.init(timestamp: t, sequence: s, publisher: p, phase: e)
    }

    @inline(__always)
    func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: timestamp.littleEndian, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: sequence.littleEndian, toByteOffset: 8, as: UInt32.self)
        p.storeBytes(of: publisher.littleEndian, toByteOffset: 12, as: UInt16.self)
        p.storeBytes(of: phase.littleEndian, toByteOffset: 14, as: UInt16.self)
    }
}

/// A growable set of sequence numbers, to count each message once and spot duplicates.
struct NATSSequenceSet {
    private var words: [UInt64] = []
    private(set) var count = 0

    /// Inserts `n`; returns false when it was already present.
    @inline(__always)
    mutating func insert(_ n: UInt32) -> Bool {
        let w = Int(n >> 6)
        if w >= words.count { words.append(contentsOf: repeatElement(0, count: max(w + 1 - words.count, words.count))) }
        let bit = UInt64(1) << UInt64(n & 63)
        if words[w] & bit != 0 { return false }
        words[w] |= bit
        count += 1
        return true
    }

    mutating func removeAll() {
        words.removeAll(keepingCapacity: true)
        count = 0
    }
}
