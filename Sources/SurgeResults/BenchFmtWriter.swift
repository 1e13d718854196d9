/// Writes a Surge run in Go's benchmark format so Go's benchstat (and anything else that reads
/// `go test -bench` output) can read it:
///
/// ```
/// goos: linux
/// goarch: amd64
/// cpu: <host CPU model>
/// pkg: surge/<scenario>
/// surge-scenario: <scenario>
/// surge-run: <run id>
/// surge-commit: <commit, "+dirty" when the tree was dirty>     (only when known)
/// BenchmarkBrokerFanout/publishers=1/payload=16 200000 523 ns/op 1.9e+06 msgs/s ...
/// ```
///
/// One line per sample of every `ok` cell: iterations = the sample's `operations`, then every finite
/// metric as `value unit` in unit order (`ns/op` first when present, then alphabetical). Values are
/// printed with the shortest digits that read back to the same Double. Non-finite values are left
/// out (Go's format has no way to say "not measured").
public enum BenchFmtWriter {
    public static func write(_ run: RunResult) -> String {
        var out = ""
        for entry in RunResultRecords.writerConfig(run) {
            out += "\(entry.key): \(entry.value)\n"
        }
        for cell in run.cells where cell.status == .ok {
            let name = RunResultRecords.benchmarkName(cell)
            for sample in cell.samples {
                let metrics = RunResultRecords.orderedMetrics(sample)
                if metrics.isEmpty { continue }
                out += "Benchmark\(name) \(sample.operations)"
                for (unit, value) in metrics {
                    out += " \(formatValue(value)) \(unit)"
                }
                out += "\n"
            }
        }
        return out
    }

    static func formatValue(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return shortestDigits(v)
    }

    /// Shortest round-trip digits in Go's `%v` shape (kept here so SurgeResults needs no SurgeStats).
    static func shortestDigits(_ v: Double) -> String {
        var text = v.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

/// Turns a Surge `RunResult` into benchmark records for comparison: one record per sample of each
/// `ok` cell, named like the cell (`BrokerFanout/publishers=1/payload=16`, every matrix parameter a
/// `/key=value` part, appended if the cell name lacks it), values tidied like Go's (`ns/op` → `sec/op`).
/// The record configuration is `goos`, `goarch`, `cpu`, `pkg` and `surge-scenario` — stable for one
/// scenario on one host — so runs of the same scenario land in one table; the run id and commit
/// (which differ between any two runs) are written by `BenchFmtWriter` but not used to group.
public enum RunResultRecords {
    public static func records(_ run: RunResult, label: String) -> [BenchRecord] {
        let config = comparisonConfig(run)
        var records: [BenchRecord] = []
        for cell in run.cells where cell.status == .ok {
            let name = benchmarkName(cell)
            for sample in cell.samples {
                var values: [BenchValue] = []
                for (unit, value) in orderedMetrics(sample) {
                    let tidied = BenchUnit.tidy(unit)
                    let tv = value * tidied.factor
                    let method = cell.method(of: unit, run: run)
                    values.append(tv == value ? BenchValue(value: value, unit: unit, method: method)
                                  : BenchValue(value: tv, unit: tidied.unit, originalUnit: unit, method: method))
                }
                if values.isEmpty { continue }
                records.append(BenchRecord(name: name, iterations: sample.operations, values: values, config: config, file: label, line: 0))
            }
        }
        return records
    }

    /// The cell's Go benchmark name without the `Benchmark` prefix, with every matrix parameter
    /// present as a `/key=value` part.
    public static func benchmarkName(_ cell: CellResult) -> String {
        var name = cell.name.hasPrefix("Benchmark") ? String(cell.name.dropFirst(9)) : cell.name
        if name.isEmpty { name = "Cell" }
        let parts = Set(name.split(separator: "/").dropFirst().map(String.init))
        for parameter in cell.parameters where !parts.contains("\(parameter.name)=\(parameter.value)") {
            name += "/\(parameter.name)=\(parameter.value)"
        }
        return name
    }

    static func orderedMetrics(_ sample: Sample) -> [(String, Double)] {
        sample.metrics.filter { $0.value.isFinite }.sorted { a, b in
            if a.key == "ns/op" { return b.key != "ns/op" }
            if b.key == "ns/op" { return false }
            return a.key < b.key
        }.map { ($0.key, $0.value) }
    }

    static var goarch: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #else
        return "unknown"
        #endif
    }

    static func comparisonConfig(_ run: RunResult) -> [BenchConfigEntry] {
        [
            BenchConfigEntry(key: "goos", value: "linux"),
            BenchConfigEntry(key: "goarch", value: goarch),
            BenchConfigEntry(key: "cpu", value: run.host.cpuModel),
            BenchConfigEntry(key: "pkg", value: "surge/\(run.scenario.name)"),
            BenchConfigEntry(key: "surge-scenario", value: run.scenario.name),
        ].filter { !$0.value.isEmpty }
    }

    static func writerConfig(_ run: RunResult) -> [BenchConfigEntry] {
        var config = comparisonConfig(run)
        config.append(BenchConfigEntry(key: "surge-run", value: run.runID))
        if let source = run.source {
            config.append(BenchConfigEntry(key: "surge-commit", value: source.commit + (source.dirty ? "+dirty" : "")))
        }
        return config.filter { !$0.value.isEmpty && !$0.value.contains("\n") }
    }
}
