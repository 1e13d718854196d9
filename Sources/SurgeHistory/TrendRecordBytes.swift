/// The strings of one trend record, each stored once; cells refer to them by index.
struct StringTable {
    private(set) var values: [String] = []
    private var indices: [String: Int] = [:]

    mutating func index(_ s: String) -> Int {
        if let i = indices[s] { return i }
        indices[s] = values.count
        values.append(s)
        return values.count - 1
    }
}

/// Appends a trend record's fields (see `TrendRecord` for the layout).
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: Int) {
        precondition(value >= 0, "a varint holds counts and indices, never negative")
        unsigned(UInt64(value))
    }

    /// A signed integer, zigzag-encoded so small negatives stay short.
    mutating func signed(_ value: Int) {
        let v = Int64(value)
        unsigned(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    /// LEB128: seven bits a byte, the high bit set on every byte but the last.
    private mutating func unsigned(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func double(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Writes whether `value` is there (1 or 0) and returns it, for the caller to write when it is.
    mutating func presence<T>(_ value: T?) -> T? {
        bytes.append(value == nil ? 0 : 1)
        return value
    }

    mutating func stringMap(_ map: [String: String], strings: inout StringTable) {
        varint(map.count)
        for key in map.keys.sorted() {
            varint(strings.index(key))
            varint(strings.index(map[key]!))
        }
    }

    mutating func doubleMap(_ map: [String: Double], strings: inout StringTable) {
        varint(map.count)
        for key in map.keys.sorted() {
            varint(strings.index(key))
            double(map[key]!)
        }
    }
}

/// Reads a trend record's fields back, naming the byte where one does not fit.
struct ByteReader {
    let bytes: [UInt8]
    let what: String
    var offset = 0
    var strings: [String] = []

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    func error(at offset: Int, _ reason: String) -> TrendRecordError {
        TrendRecordError(what: what, offset: offset, reason: reason)
    }

    mutating func byte() throws(TrendRecordError) -> UInt8 {
        guard offset < bytes.count else { throw error(at: offset, "the record ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func unsigned() throws(TrendRecordError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw error(at: start, "a number longer than 64 bits") }
            value |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    mutating func varint() throws(TrendRecordError) -> Int {
        let start = offset
        let v = try unsigned()
        // Every counted thing takes at least a byte, so no honest count exceeds the record's size.
        guard v <= UInt64(bytes.count) else {
            throw error(at: start, "a count of \(v), more than the record could hold")
        }
        return Int(v)
    }

    mutating func signed() throws(TrendRecordError) -> Int {
        let u = try unsigned()
        return Int(Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))))
    }

    mutating func double() throws(TrendRecordError) -> Double {
        let raw = try take(8)
        var bits: UInt64 = 0
        for (i, b) in raw.enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
        return Double(bitPattern: bits)
    }

    mutating func take(_ count: Int) throws(TrendRecordError) -> ArraySlice<UInt8> {
        guard count <= bytes.count - offset else {
            throw error(at: offset, "the record ends early (\(count) bytes wanted, \(bytes.count - offset) left)")
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func present() throws(TrendRecordError) -> Bool {
        let at = offset
        switch try byte() {
        case 0: return false
        case 1: return true
        case let b: throw error(at: at, "presence byte \(b), expected 0 or 1")
        }
    }

    mutating func string() throws(TrendRecordError) -> String {
        let at = offset
        let i = try varint()
        guard i < strings.count else {
            throw error(at: at, "string \(i) of a table of \(strings.count)")
        }
        return strings[i]
    }

    mutating func stringMap() throws(TrendRecordError) -> [String: String] {
        var map: [String: String] = [:]
        for _ in 0..<(try varint()) {
            let key = try string()
            map[key] = try string()
        }
        return map
    }

    mutating func doubleMap() throws(TrendRecordError) -> [String: Double] {
        var map: [String: Double] = [:]
        for _ in 0..<(try varint()) {
            let key = try string()
            map[key] = try double()
        }
        return map
    }
}
