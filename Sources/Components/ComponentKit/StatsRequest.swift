/// The request head a stats port accepts, parsed strictly (RFC 9112 §2-§5 where it matters here).
struct StatsRequest: Equatable {
    var method: String
    /// The target without its query.
    var path: String

    enum Outcome: Equatable {
        case incomplete
        case invalid(status: Int, reason: String)
        case request(StatsRequest)
    }

    /// Parses `bytes` received so far. The request line is checked as soon as it is complete, so
    /// garbage is refused at once rather than after a timeout. A lone LF ends a line too (§2.2).
    static func parse(_ bytes: [UInt8], maxBytes: Int) -> Outcome {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var ended = false
        for i in bytes.indices where bytes[i] == 10 {
            var line = bytes[start..<i]
            if line.last == 13 { line = line.dropLast() }
            start = i + 1
            if line.isEmpty && !lines.isEmpty {
                ended = true
                break
            }
            if line.isEmpty { continue }  // §2.2: empty lines before the request line are ignored
            lines.append(line)
        }
        if !ended && bytes.count > maxBytes {
            return .invalid(status: 431, reason: "request head over \(maxBytes) bytes")
        }
        guard let first = lines.first else { return .incomplete }
        if ended && start > maxBytes { return .invalid(status: 431, reason: "request head over \(maxBytes) bytes") }
        let request: StatsRequest
        switch requestLine(first) {
        case .success(let r): request = r
        case .failure(let invalid): return .invalid(status: invalid.status, reason: invalid.reason)
        }
        var hosts = 0
        for line in lines.dropFirst() {
            if let problem = headerProblem(line) { return .invalid(status: 400, reason: problem) }
            if let colon = line.firstIndex(of: 58),
                String(decoding: line[..<colon], as: UTF8.self).lowercased() == "host"
            {
                hosts += 1
            }
        }
        guard ended else { return .incomplete }
        let version = String(decoding: first.split(separator: 32).last ?? [], as: UTF8.self)
        if version == "HTTP/1.1" && hosts != 1 {
            return .invalid(
                status: 400, reason: hosts == 0 ? "HTTP/1.1 request without Host" : "more than one Host header")
        }
        return .request(request)
    }

    private struct Invalid: Error {
        var status: Int
        var reason: String
    }

    private static func requestLine(_ line: ArraySlice<UInt8>) -> Result<StatsRequest, Invalid> {
        if line.contains(13) { return .failure(Invalid(status: 400, reason: "bare CR in the request line")) }
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte) else {
            return .failure(Invalid(status: 400, reason: "malformed request line"))
        }
        let target = parts[1]
        guard target.first == 47, target.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            return .failure(Invalid(status: 400, reason: "malformed request target"))
        }
        let version = Array(parts[2])
        let prefix = Array("HTTP/".utf8)
        guard version.count == 8, Array(version[0..<5]) == prefix, isDigit(version[5]), version[6] == 46,
            isDigit(version[7])
        else {
            return .failure(Invalid(status: 400, reason: "malformed HTTP version"))
        }
        guard version[5] == 49, version[7] == 48 || version[7] == 49 else {
            return .failure(Invalid(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are served"))
        }
        let path = target.split(separator: 63, maxSplits: 1, omittingEmptySubsequences: false).first ?? target
        return .success(
            StatsRequest(method: String(decoding: parts[0], as: UTF8.self), path: String(decoding: path, as: UTF8.self))
        )
    }

    /// Nil when `line` is `name: value` with a token name and no control bytes but HTAB in the value.
    private static func headerProblem(_ line: ArraySlice<UInt8>) -> String? {
        if line.first == 32 || line.first == 9 { return "obsolete line folding" }
        guard let colon = line.firstIndex(of: 58), colon > line.startIndex,
            line[..<colon].allSatisfy(isTokenByte)
        else { return "malformed header line" }
        let value = line[(colon + 1)...]
        if value.contains(where: { ($0 < 32 && $0 != 9) || $0 == 127 }) { return "control character in a header value" }
        return nil
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// RFC 9110 §5.6.2 tchar.
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 48...57, 65...90, 97...122: return true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
        default: return false
        }
    }
}
