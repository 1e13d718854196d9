import HTTPWire

/// The routes the built-in server answers, parsed from a request target.
enum HTTPRoute: Equatable {
    /// `/plaintext`: 13 bytes, `Hello, World!`.
    case plaintext
    /// `/json`: `{"message":"Hello, World!"}`.
    case json
    /// `/echo`: the request body back.
    case echo
    /// `/bytes/N`: N bytes, chunked with `?chunked=1`.
    case bytes(count: Int, chunked: Bool)
    /// `/delay/MS`: an empty 200 after MS milliseconds.
    case delay(milliseconds: Int)
    case notFound
    case badRequest(String)

    init(_ head: HTTPRequestHead, maxBytes: Int, maxDelay: Int) {
        let path = head.path
        switch path {
        case "/plaintext": self = .plaintext
        case "/json": self = .json
        case "/echo": self = .echo
        default:
            if path.hasPrefix("/bytes/") {
                guard let n = Int(path.dropFirst(7)), n >= 0 else {
                    self = .badRequest("/bytes/N needs a non-negative integer N, found '\(path.dropFirst(7))'")
                    return
                }
                guard n <= maxBytes else {
                    self = .badRequest("/bytes/\(n) is larger than the server's max-bytes (\(maxBytes))")
                    return
                }
                let chunked = head.query.map { $0.split(separator: "&").contains("chunked=1") } ?? false
                self = .bytes(count: n, chunked: chunked && head.version != .http1_0)
            } else if path.hasPrefix("/delay/") {
                guard let ms = Int(path.dropFirst(7)), (0...maxDelay).contains(ms) else {
                    self = .badRequest("/delay/MS needs an integer MS in 0...\(maxDelay), found '\(path.dropFirst(7))'")
                    return
                }
                self = .delay(milliseconds: ms)
            } else {
                self = .notFound
            }
        }
    }
}
