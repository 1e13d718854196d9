/// Subject rules of the NATS protocol: tokens separated by `.`, no empty token, no whitespace;
/// `*` stands for exactly one token and `>` for one or more trailing tokens (only as the last token).
/// A `*` or `>` inside a longer token (`a.b*`) is a literal character, as in nats-server.
public enum NATSSubject {
    /// Whether `subject` is valid for `SUB` (wildcards allowed).
    @inlinable
    public static func isValidSubscribe<C: Collection>(_ subject: C) -> Bool where C.Element == UInt8 {
        validate(subject, allowWildcards: true)
    }

    /// Whether `subject` is valid for `PUB` (a literal subject: no wildcard token).
    @inlinable
    public static func isValidPublish<C: Collection>(_ subject: C) -> Bool where C.Element == UInt8 {
        validate(subject, allowWildcards: false)
    }

    public static func isValidSubscribe(_ subject: String) -> Bool { isValidSubscribe(subject.utf8) }
    public static func isValidPublish(_ subject: String) -> Bool { isValidPublish(subject.utf8) }

    /// Whether `subject` contains a `*` or `>` token. Inlinable, as the validators are: called across
    /// modules unspecialized, it iterated a `ByteBufferView` through witness tables
    /// (`IndexingIterator.next` alone was 2.8% of a mesh node's publishing thread; perf, 2026-12-07).
    @inlinable
    public static func hasWildcard<C: Collection>(_ subject: C) -> Bool where C.Element == UInt8 {
        var tokenLength = 0
        var tokenIsWildcard = false
        for b in subject {
            if b == UInt8(ascii: ".") {
                if tokenLength == 1 && tokenIsWildcard { return true }
                tokenLength = 0
                tokenIsWildcard = false
            } else {
                tokenLength += 1
                tokenIsWildcard = b == UInt8(ascii: "*") || b == UInt8(ascii: ">")
            }
        }
        return tokenLength == 1 && tokenIsWildcard
    }

    /// Whether the literal subject `subject` is matched by the subscription pattern `pattern`.
    public static func matches(pattern: String, subject: String) -> Bool {
        let p = pattern.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let s = subject.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        var i = 0
        while i < p.count {
            let token = p[i]
            if token.elementsEqual(">".utf8) { return s.count > i }
            guard i < s.count else { return false }
            if !token.elementsEqual("*".utf8) && !token.elementsEqual(s[i]) { return false }
            i += 1
        }
        return i == s.count
    }

    @usableFromInline
    static func validate<C: Collection>(_ subject: C, allowWildcards: Bool) -> Bool where C.Element == UInt8 {
        var tokenLength = 0
        var firstByte: UInt8 = 0
        var sawFullWildcard = false
        func endToken() -> Bool {
            if tokenLength == 0 || sawFullWildcard { return false }
            if tokenLength == 1 && (firstByte == UInt8(ascii: "*") || firstByte == UInt8(ascii: ">")) {
                if !allowWildcards { return false }
                if firstByte == UInt8(ascii: ">") { sawFullWildcard = true }
            }
            return true
        }
        for b in subject {
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                return false
            case UInt8(ascii: "."):
                if !endToken() { return false }
                tokenLength = 0
            default:
                if tokenLength == 0 { firstByte = b }
                tokenLength += 1
            }
        }
        return endToken()
    }
}
