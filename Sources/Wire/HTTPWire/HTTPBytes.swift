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

    /// Nil when `bytes[line]` is `name: value` with a token name directly followed by the colon
    /// and a value free of control characters; otherwise what is wrong, starting with the line.
    static func fieldLineProblem(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> String? {
        var i = line.lowerBound
        while i < line.upperBound, isToken(bytes[i]) { i += 1 }
        guard i > line.lowerBound, i < line.upperBound, bytes[i] == colon else {
            return "line \(quote(bytes, line)) is not 'Name: value'"
        }
        guard isValidFieldValue(bytes, (i + 1)..<line.upperBound) else {
            return "line \(quote(bytes, line)) has a control character in its value"
        }
        return nil
    }

    /// RFC 3986 unreserved and sub-delims: the characters of a reg-name besides `%HH`.
    private static let hostTable: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(c)] = true }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(c)] = true }
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(c)] = true }
        for c in "-._~!$&'()*+,;=".utf8 { t[Int(c)] = true }
        return t
    }()

    /// Whether `bytes[range]` is a Host value (RFC 9110 §7.2): `uri-host [ ":" port ]`, where the
    /// host is a reg-name (unreserved, sub-delims, `%HH`), an IPv4 address or a bracketed IP literal.
    /// Empty is valid (a target without authority).
    static func isValidHost(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var i = range.lowerBound
        let end = range.upperBound
        if i < end, bytes[i] == UInt8(ascii: "[") {
            i += 1
            let start = i
            while i < end, bytes[i] != UInt8(ascii: "]") {
                guard hostTable[Int(bytes[i])] || bytes[i] == colon else { return false }
                i += 1
            }
            guard i < end, i > start else { return false }
            i += 1
        } else {
            while i < end, bytes[i] != colon {
                if bytes[i] == UInt8(ascii: "%") {
                    guard i + 2 < end, HTTPChunkLine.hexValue(bytes[i + 1]) != nil, HTTPChunkLine.hexValue(bytes[i + 2]) != nil else {
                        return false
                    }
                    i += 3
                    continue
                }
                guard hostTable[Int(bytes[i])] else { return false }
                i += 1
            }
        }
        guard i < end else { return true }
        guard bytes[i] == colon else { return false }
        i += 1
        while i < end {
            guard bytes[i] &- 0x30 < 10 else { return false }
            i += 1
        }
        return true
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
