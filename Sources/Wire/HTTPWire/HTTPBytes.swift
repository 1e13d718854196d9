/// Byte-level helpers shared by the request and response parsers.
enum HTTPBytes {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A

    /// RFC 9110 `tchar`: the characters of method names and header field names.
    static let tokenTable: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(c)] = true }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(c)] = true }
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(c)] = true }
        for c in "!#$%&'*+-.^_`|~".utf8 { t[Int(c)] = true }
        return t
    }()

    @inline(__always) static func isToken(_ b: UInt8) -> Bool { tokenTable[Int(b)] }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 {
        b >= 0x41 && b <= 0x5A ? b | 0x20 : b
    }

    /// Whether `bytes[range]` equals `lowercaseName` ignoring ASCII case.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercaseName: StaticString) -> Bool {
        guard range.count == lowercaseName.utf8CodeUnitCount else { return false }
        let name = lowercaseName.utf8Start
        var j = 0
        for i in range {
            if lower(bytes[i]) != name[j] { return false }
            j += 1
        }
        return true
    }

    /// `range` with leading and trailing SP/HTAB removed.
    static func trimmingOWS(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound
        var hi = range.upperBound
        while lo < hi, bytes[lo] == sp || bytes[lo] == htab { lo += 1 }
        while hi > lo, bytes[hi - 1] == sp || bytes[hi - 1] == htab { hi -= 1 }
        return lo..<hi
    }

    /// A decimal number of at most 18 digits, nothing else; nil otherwise.
    static func decimal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var v = 0
        for i in range {
            let d = bytes[i] &- 0x30
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    static func quote(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        HTTPParseError.quote(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// Parses a chunk-size line's content (`1a3f` or `1a3f;ext=1`). Nil when not hex or overflowing.
    static func chunkSize(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        var v = 0
        var digits = 0
        for i in range {
            let b = bytes[i]
            let d: Int
            switch b {
            case 0x30...0x39: d = Int(b - 0x30)
            case 0x61...0x66: d = Int(b - 0x61 + 10)
            case 0x41...0x46: d = Int(b - 0x41 + 10)
            case UInt8(ascii: ";"):
                return digits == 0 ? nil : v
            default: return nil
            }
            digits += 1
            guard digits <= 15 else { return nil }
            v = v << 4 | d
        }
        return digits == 0 ? nil : v
    }

    /// Validates a header field value: no CTLs except HTAB, no DEL.
    static func isValidFieldValue(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        for i in range {
            let b = bytes[i]
            if (b < 0x20 && b != htab) || b == 0x7F { return false }
        }
        return true
    }
}
