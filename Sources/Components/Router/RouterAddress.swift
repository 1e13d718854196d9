/// An address `scheme://a/b/c` taken apart: the scheme and the path segments, as slices of the
/// address (no copies). `split` cuts with `String.split` (new arrays, Character by Character);
/// `single-pass` walks the UTF-8 once and refills an array it keeps.
package struct RouterAddress: Sendable {
    package enum Splitting: String, Sendable, CaseIterable {
        case split
        case singlePass = "single-pass"
    }

    package private(set) var text: String
    package private(set) var scheme: Substring
    package private(set) var segments: [Substring]

    package init() {
        text = ""
        scheme = ""
        segments = []
    }

    package init(_ text: String, splitting: Splitting = .singlePass) throws(RouterAddressError) {
        self.init()
        try parse(text, splitting: splitting)
    }

    /// Parses `text` into this value, reusing its segment array's storage.
    package mutating func parse(_ text: String, splitting: Splitting) throws(RouterAddressError) {
        self.text = text
        segments.removeAll(keepingCapacity: true)
        switch splitting {
        case .split:
            let halves = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
            guard halves.count == 2, !halves[0].isEmpty else { throw RouterAddressError(address: text, "expected scheme://path") }
            scheme = halves[0]
            let parts = halves[1].split(separator: "/", omittingEmptySubsequences: false)
            guard !parts.contains(where: \.isEmpty) else { throw RouterAddressError(address: text, "empty path segment") }
            segments = parts
        case .singlePass:
            let utf8 = text.utf8
            var i = utf8.startIndex
            var schemeEnd: String.Index?
            while i < utf8.endIndex {
                if utf8[i] == UInt8(ascii: ":") {
                    let a = utf8.index(after: i)
                    if a < utf8.endIndex, utf8[a] == UInt8(ascii: "/") {
                        let b = utf8.index(after: a)
                        if b < utf8.endIndex, utf8[b] == UInt8(ascii: "/") {
                            schemeEnd = i
                            i = utf8.index(after: b)
                            break
                        }
                    }
                }
                i = utf8.index(after: i)
            }
            guard let end = schemeEnd, end > text.startIndex else {
                throw RouterAddressError(address: text, "expected scheme://path")
            }
            scheme = text[text.startIndex..<end]
            var start = i
            while true {
                if i == utf8.endIndex || utf8[i] == UInt8(ascii: "/") {
                    guard i > start else { throw RouterAddressError(address: text, "empty path segment") }
                    segments.append(text[start..<i])
                    if i == utf8.endIndex { break }
                    start = utf8.index(after: i)
                }
                i = utf8.index(after: i)
            }
        }
    }
}

/// An address that is not `scheme://segment/segment...` with non-empty segments.
package struct RouterAddressError: Error, CustomStringConvertible, Sendable, Equatable {
    package var address: String
    package var message: String
    package init(address: String, _ message: String) {
        self.address = address
        self.message = message
    }
    package var description: String { "address '\(address)': \(message)" }
}
