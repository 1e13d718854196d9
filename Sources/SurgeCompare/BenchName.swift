/// Go benchmark name structure (benchfmt `Name.Parts`): a trailing `-<digits>` is the GOMAXPROCS
/// part; the rest splits at each `/` into `/key=value` or positional `/part` parts.
enum BenchName {
    /// Base name and parts (each part keeps its leading `/` or `-`).
    static func parts(_ full: Substring) -> (base: Substring, parts: [Substring]) {
        var body = full
        var gomaxprocs: Substring?
        let utf8 = full.utf8
        var i = utf8.endIndex
        while i > utf8.startIndex {
            let j = utf8.index(before: i)
            let c = utf8[j]
            if c == UInt8(ascii: "-") && i < utf8.endIndex {
                body = full[full.startIndex..<j]
                gomaxprocs = full[j...]
                break
            } else if !(c >= 48 && c <= 57) {
                break
            }
            i = j
        }
        var pieces: [Substring] = []
        var start = body.startIndex
        var k = body.startIndex
        while k < body.endIndex {
            if body[k] == "/" {
                pieces.append(body[start..<k])
                start = k
            }
            k = body.index(after: k)
        }
        pieces.append(body[start...])
        if let g = gomaxprocs { pieces.append(g) }
        return (pieces[0], Array(pieces.dropFirst()))
    }

    static func base(_ full: String) -> String { String(parts(full[...]).base) }

    /// Value of `/key` (`key` given with its slash); `/gomaxprocs` also reads the `-N` suffix.
    static func part(_ full: String, key: String) -> String {
        let (_, parts) = parts(full[...])
        if key == "/gomaxprocs", let last = parts.last, last.first == "-" {
            return String(last.dropFirst())
        }
        let prefix = key + "="
        for part in parts where part.hasPrefix(prefix) {
            return String(part.dropFirst(prefix.count))
        }
        return ""
    }

    /// The full name with the given `/key` parts deleted, the base replaced by `*` when `.name` is
    /// excluded, and the `-N` suffix deleted when `/gomaxprocs` is (benchproc `extractFullExcluded`).
    static func fullExcluding(_ full: String, deleting: [String], excludeName: Bool, excludeGomaxprocs: Bool) -> String {
        var found = excludeName
        if !found { found = deleting.contains { full.contains($0) } }
        if !found && excludeGomaxprocs && full.contains("-") { found = true }
        if !found { return full }
        let (base, parts) = parts(full[...])
        var out = excludeName ? "*" : String(base)
        outer: for part in parts {
            for k in deleting where part.hasPrefix(k) { continue outer }
            if excludeGomaxprocs && part.first == "-" { continue }
            out += part
        }
        return out
    }
}
