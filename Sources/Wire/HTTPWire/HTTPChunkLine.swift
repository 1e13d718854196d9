/// The chunk-size line of a chunked body (RFC 9112 §7.1), without its CRLF:
///
///     chunk-size [ chunk-ext ]
///     chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
///     chunk-ext-name = token
///     chunk-ext-val  = token / quoted-string
///
/// Extensions are checked against that grammar and then ignored. Anything else — a bare CR, a
/// control character, an empty name — fails the line: a lenient extension parser is how a request
/// hidden inside chunk data gets past one parser and not the next (request smuggling).
enum HTTPChunkLine {
    /// Most significant hex digits in a size (2^60 - 1); leading zeros do not count.
    static let maxSignificantDigits = 15

    /// The chunk size, or a sentence saying what is wrong with the line.
    static func parse(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Result<Int, HTTPParseError> {
        var i = range.lowerBound
        let end = range.upperBound
        var value = 0
        var digits = 0
        var significant = 0
        while i < end, let d = hexValue(bytes[i]) {
            digits += 1
            if significant > 0 || d > 0 { significant += 1 }
            guard significant <= maxSignificantDigits else {
                return .failure(HTTPParseError(.invalidChunk, "chunk size \(HTTPBytes.quote(bytes, range)) is not a hexadecimal number below 2^60"))
            }
            value = value << 4 | d
            i += 1
        }
        guard digits > 0 else {
            return .failure(HTTPParseError(.invalidChunk, "chunk size line \(HTTPBytes.quote(bytes, range)) does not start with a hexadecimal size"))
        }
        if let problem = extensionProblem(bytes, from: i, to: end) {
            return .failure(HTTPParseError(.invalidChunk, "chunk extension in \(HTTPBytes.quote(bytes, range)): \(problem)"))
        }
        return .success(value)
    }

    /// Nil when `bytes[from..<to]` is a valid `chunk-ext`; otherwise what is wrong.
    private static func extensionProblem(_ bytes: UnsafeRawBufferPointer, from: Int, to end: Int) -> String? {
        var i = from
        func skipBWS() { while i < end, bytes[i] == HTTPBytes.sp || bytes[i] == HTTPBytes.htab { i += 1 } }
        func token() -> Bool {
            let start = i
            while i < end, HTTPBytes.isToken(bytes[i]) { i += 1 }
            return i > start
        }
        while true {
            skipBWS()
            if i == end {
                let trailingSpace = i > from && (bytes[i - 1] == HTTPBytes.sp || bytes[i - 1] == HTTPBytes.htab)
                return trailingSpace ? "whitespace at the end of the line" : nil
            }
            guard bytes[i] == UInt8(ascii: ";") else { return "byte \(describe(bytes[i])) where ';' was expected" }
            i += 1
            skipBWS()
            guard token() else { return i < end ? "byte \(describe(bytes[i])) where an extension name was expected" : "an empty extension name" }
            let afterName = i
            skipBWS()
            guard i < end, bytes[i] == UInt8(ascii: "=") else {
                i = afterName
                continue
            }
            i += 1
            skipBWS()
            guard i < end else { return "no value after '='" }
            if bytes[i] == UInt8(ascii: "\"") {
                if let problem = quotedString(bytes, &i, end) { return problem }
            } else if !token() {
                return "byte \(describe(bytes[i])) where an extension value was expected"
            }
        }
    }

    /// Consumes a quoted-string starting at the opening quote; nil when well formed.
    private static func quotedString(_ bytes: UnsafeRawBufferPointer, _ i: inout Int, _ end: Int) -> String? {
        i += 1
        while i < end {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                return nil
            case UInt8(ascii: "\\"):
                guard i + 1 < end, isQuotedPairByte(bytes[i + 1]) else { return "a bad escape in a quoted value" }
                i += 2
            case HTTPBytes.htab, HTTPBytes.sp, 0x21, 0x23...0x5B, 0x5D...0x7E, 0x80...0xFF:
                i += 1
            default:
                return "byte \(describe(b)) inside a quoted value"
            }
        }
        return "a quoted value without its closing quote"
    }

    private static func isQuotedPairByte(_ b: UInt8) -> Bool {
        b == HTTPBytes.htab || (b >= 0x20 && b != 0x7F)
    }

    @inline(__always) static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x61...0x66: Int(b - 0x61 + 10)
        case 0x41...0x46: Int(b - 0x41 + 10)
        default: nil
        }
    }

    private static func describe(_ b: UInt8) -> String {
        withUnsafeBytes(of: b) { HTTPParseError.quote($0) }
    }
}
