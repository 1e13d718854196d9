/// What a component's stats port reports, split by kind so no reader has to guess:
/// `counters` only ever grow (a window's figure is the difference of two snapshots); `gauges` are a
/// state at the moment of reading (open connections, known peers, a latency percentile); `info`
/// is descriptive text (a node's id). Served as `{"counters":{…},"gauges":{…},"info":{…}}`.
package struct ComponentStats: Sendable, Equatable {
    package var counters: [String: Int]
    package var gauges: [String: Int]
    package var info: [String: String]

    package init(counters: [String: Int] = [:], gauges: [String: Int] = [:], info: [String: String] = [:]) {
        self.counters = counters
        self.gauges = gauges
        self.info = info
    }

    /// Splits a flat snapshot: the keys in `gauges` are gauges, the rest counters.
    package init(_ flat: [String: Int], gauges gaugeNames: Set<String>, info: [String: String] = [:]) {
        self.init(
            counters: flat.filter { !gaugeNames.contains($0.key) }, gauges: flat.filter { gaugeNames.contains($0.key) },
            info: info)
    }

    /// Adds another snapshot's counters and gauges to these (per-event-loop shards of one server).
    package mutating func add(_ other: ComponentStats) {
        for (k, v) in other.counters { counters[k, default: 0] += v }
        for (k, v) in other.gauges { gauges[k, default: 0] += v }
        info.merge(other.info) { a, _ in a }
    }

    /// The JSON document, keys sorted, no whitespace.
    package func json() -> String {
        func numbers(_ d: [String: Int]) -> String {
            "{" + d.sorted { $0.key < $1.key }.map { "\(Self.quote($0.key)):\($0.value)" }.joined(separator: ",") + "}"
        }
        let text =
            "{"
            + info.sorted { $0.key < $1.key }.map { "\(Self.quote($0.key)):\(Self.quote($0.value))" }
            .joined(separator: ",") + "}"
        return "{\"counters\":\(numbers(counters)),\"gauges\":\(numbers(gauges)),\"info\":\(text)}"
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
