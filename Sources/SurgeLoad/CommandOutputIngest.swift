import Foundation
import SurgeResults

/// Turns a benchmark command's standard output into one benchmark's metrics.
///
/// - Go benchmark format, read by `BenchFmtReader` exactly as benchstat reads it: units keep Go's
///   spelling (`ns/op`, `B/op`, `allocs/op`, `MB/s`); a malformed `Benchmark` line is an error
///   naming its line.
/// - JSON lines: every line that starts with `{` is one object `{"name": "parse", "metric": "ns/op",
///   "value": 812.5}` with an optional whole `"iterations"`; other lines (npm's own chatter) are
///   ignored. A line that starts with `{` and is not such an object is an error naming its line.
///
/// Several results for one benchmark and metric (`-count 3`) are averaged; the operations are Go's
/// iterations summed, or the largest JSON-lines `iterations` (1 when none is given).
public enum CommandOutputIngest {
    public enum Format: String, Sendable {
        case go
        case jsonLines = "json-lines"
        case auto
    }

    /// One benchmark's figures from one run.
    public struct Result: Sendable, Equatable {
        public var name: String
        public var metrics: [String: Double]
        public var operations: Int
    }

    /// Bad output: what and where (`output line 7: ...`).
    public struct IngestError: Error, CustomStringConvertible, Sendable, Equatable {
        public var line: Int?
        public var message: String

        public var description: String { line.map { "output line \($0): \(message)" } ?? message }
    }

    private struct Entry {
        var sums: [String: (total: Double, count: Int)] = [:]
        var units: [String] = []
        var operations = 0
    }

    /// The benchmark named `benchmark` (or the only one) in `output`.
    public static func ingest(_ output: Data, format: Format, benchmark: String?) throws(IngestError) -> Result {
        var entries: [String: Entry] = [:]
        var jsonIterations: [String: Int] = [:]
        var order: [String] = []
        func add(_ name: String, _ unit: String, _ value: Double, iterations: Int?) {
            if entries[name] == nil {
                entries[name] = Entry()
                order.append(name)
            }
            var e = entries[name]!
            if e.sums[unit] == nil { e.units.append(unit) }
            let old = e.sums[unit] ?? (0, 0)
            e.sums[unit] = (old.total + value, old.count + 1)
            if let iterations { e.operations += iterations }
            entries[name] = e
        }
        if format != .jsonLines {
            var reader = BenchFmtReader()
            var records: [BenchRecord] = []
            let errors = reader.parse(output, label: "output") { records.append($0) }
            if let first = errors.first { throw IngestError(line: first.line, message: first.message) }
            for r in records {
                for (i, v) in r.values.enumerated() {
                    let factor = BenchUnit.tidy(v.originalUnit).factor
                    let original = v.unit == v.originalUnit ? v.value : v.value / factor
                    add(r.name, v.originalUnit, original, iterations: i == 0 ? r.iterations : nil)
                }
            }
        }
        if format != .go {
            let text = String(decoding: output, as: UTF8.self)
            for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                guard line.hasPrefix("{") else { continue }
                let item = try jsonLine(line, number: index + 1)
                add(item.name, item.metric, item.value, iterations: nil)
                if let n = item.iterations { jsonIterations[item.name] = max(jsonIterations[item.name] ?? 0, n) }
            }
        }
        guard !order.isEmpty else {
            let what: String
            switch format {
            case .go: what = "no Go benchmark lines (Benchmark<Name> <N> <value> <unit> ...)"
            case .jsonLines: what = "no JSON lines ({\"name\":...,\"metric\":...,\"value\":...})"
            case .auto: what = "no Go benchmark lines and no JSON lines"
            }
            throw IngestError(line: nil, message: "the command's output holds \(what)")
        }
        let name: String
        if let wanted = benchmark {
            guard let hit = order.first(where: { matches($0, wanted) }) else {
                throw IngestError(
                    line: nil, message: "no benchmark '\(wanted)' in the output; it holds \(order.joined(separator: ", "))")
            }
            name = hit
        } else {
            guard order.count == 1 else {
                throw IngestError(
                    line: nil,
                    message: "the output holds \(order.count) benchmarks (\(order.joined(separator: ", "))); "
                        + "choose one with `benchmark:` (a matrix axis can take each in turn)")
            }
            name = order[0]
        }
        let e = entries[name]!
        var metrics: [String: Double] = [:]
        for unit in e.units {
            let s = e.sums[unit]!
            metrics[unit] = s.total / Double(s.count)
        }
        return Result(name: name, metrics: metrics, operations: max(1, e.operations + (jsonIterations[name] ?? 0)))
    }

    /// `Foo-8` matches `Foo`, `BenchmarkFoo` and `Foo-8`.
    static func matches(_ name: String, _ wanted: String) -> Bool {
        var w = Substring(wanted)
        if w.hasPrefix("Benchmark") { w = w.dropFirst(9) }
        if name == w { return true }
        guard let dash = name.lastIndex(of: "-"), name[name.index(after: dash)...].allSatisfy(\.isNumber) else {
            return false
        }
        return name[..<dash] == w
    }

    private struct JSONItem {
        var name: String
        var metric: String
        var value: Double
        var iterations: Int?
    }

    private static func jsonLine(_ line: String, number: Int) throws(IngestError) -> JSONItem {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        } catch {
            throw IngestError(line: number, message: "not valid JSON (\(line.prefix(80)))")
        }
        guard let dict = object as? [String: Any] else {
            throw IngestError(line: number, message: "expected a JSON object with name, metric and value")
        }
        guard let name = dict["name"] as? String, !name.isEmpty else {
            throw IngestError(line: number, message: "\"name\" is missing or not a non-empty string")
        }
        guard let metric = dict["metric"] as? String, !metric.isEmpty, !metric.contains(" ") else {
            throw IngestError(line: number, message: "\"metric\" is missing or not a unit without spaces (ns/op)")
        }
        guard let value = dict["value"] as? NSNumber, !(dict["value"] is Bool), value.doubleValue.isFinite else {
            throw IngestError(line: number, message: "\"value\" of \(name) \(metric) is missing or not a finite number")
        }
        var iterations: Int?
        if let raw = dict["iterations"] {
            guard let n = raw as? Int, n > 0, !(raw is Bool) else {
                throw IngestError(line: number, message: "\"iterations\" must be a positive whole number")
            }
            iterations = n
        }
        return JSONItem(name: name, metric: metric, value: value.doubleValue, iterations: iterations)
    }
}
