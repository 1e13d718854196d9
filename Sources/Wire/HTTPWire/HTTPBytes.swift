#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-level helpers shared by the request and response parsers.
enum HTTPBytes {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A

    /// RFC 9110 `tchar` (ALPHA, DIGIT and ``!#$%&'*+-.^_`|~``), the characters of method names and
    /// header field names, as a bit per ASCII code: bytes 0-63 in `low`, 64-127 in `high`. A bit
    /// test needs no lazily initialised table (`HTTPByteClassTests` checks it against the RFC's list).
    static let tokenBits: (low: UInt64, high: UInt64) = (0x03FF_6CFA_0000_0000, 0x57FF_FFFF_C7FF_FFFE)

    @inline(__always) static func isToken(_ b: UInt8) -> Bool { inSet(b, tokenBits) }

    @inline(__always) static func inSet(_ b: UInt8, _ bits: (low: UInt64, high: UInt64)) -> Bool {
        b < 64 ? (bits.low >> UInt64(b)) & 1 == 1 : b < 128 && (bits.high >> UInt64(b &- 64)) & 1 == 1
    }

    /// The offset of the first LF at or after `start`, or nil. libc's `memchr` beats a loop over
    /// bytes for the short lines of a head.
    @inline(__always) static func lineFeed(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
            let found = memchr(base + start, Int32(lf), bytes.count - start)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

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

    /// RFC 3986 unreserved and sub-delims (ALPHA, DIGIT and `-._~!$&'()*+,;=`): the characters of a
    /// reg-name besides `%HH`, as bits like `tokenBits`.
    static let hostBits: (low: UInt64, high: UInt64) = (0x2BFF_7FD2_0000_0000, 0x47FF_FFFE_87FF_FFFE)

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
                guard inSet(bytes[i], hostBits) || bytes[i] == colon else { return false }
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
                guard inSet(bytes[i], hostBits) else { return false }
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
