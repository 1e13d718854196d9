import Foundation
import Yams

/// A scenario's measured noise floor: what `surge calibrate` learnt from A/A runs of one build on one
/// host, per cell and metric, written to `Reports/baselines/NAME.thresholds.yaml`.
///
/// `noise` is the largest change between the medians of any two of the identical runs
/// (`max/min − 1`); `detectable` the smallest change Mann-Whitney U can call significant at the
/// scenario's repetitions and alpha, given the spread within a run; `threshold` the gate suggested
/// from both. Thresholds are written only for metrics that gate (key metrics of the workload and
/// metrics the scenario names), noise for every statistical metric.
public struct Calibration: Sendable, Equatable {
    public static let schema = "surge.thresholds/v1"

    public struct Entry: Sendable, Equatable {
        /// Fractions (0.061 for 6.1%).
        public var noise: Double
        public var detectable: Double?
        public var threshold: Double?

        public init(noise: Double, detectable: Double?, threshold: Double?) {
            self.noise = noise
            self.detectable = detectable
            self.threshold = threshold
        }
    }

    public var scenario: String
    public var scenarioSHA256: String
    public var host: String
    public var createdAt: String
    public var runs: Int
    public var repetitions: Int
    public var alpha: Double
    /// How the thresholds were derived, for a reader of the file.
    public var method: String
    public var runFiles: [String]
    /// Row label (benchmark name without `Benchmark`, as `surge compare` labels rows) → metric → entry.
    public var cells: [String: [String: Entry]]

    public init(
        scenario: String, scenarioSHA256: String, host: String, createdAt: String, runs: Int, repetitions: Int,
        alpha: Double, method: String, runFiles: [String], cells: [String: [String: Entry]]
    ) {
        self.scenario = scenario
        self.scenarioSHA256 = scenarioSHA256
        self.host = host
        self.createdAt = createdAt
        self.runs = runs
        self.repetitions = repetitions
        self.alpha = alpha
        self.method = method
        self.runFiles = runFiles
        self.cells = cells
    }

    public func entry(row: String, metric: String) -> Entry? {
        cells[row]?[metric]
    }

    // MARK: file format

    /// The file as YAML, cells and metrics in sorted order so that re-calibrating diffs cleanly.
    public func yaml() -> String {
        var out = "# Noise floor and suggested thresholds from `surge calibrate` (A/A runs of one build).\n"
        out += "# noise: largest change between identical runs; detectable: smallest change the U test can call\n"
        out += "# significant at these repetitions; threshold: what the gate uses for this cell and metric.\n"
        out += "schema: \(Self.schema)\n"
        out += "scenario: \(Self.quoted(scenario))\n"
        out += "scenario-sha256: \(Self.quoted(scenarioSHA256))\n"
        out += "host: \(Self.quoted(host))\n"
        out += "created: \(Self.quoted(createdAt))\n"
        out += "runs: \(runs)\nrepetitions: \(repetitions)\nalpha: \(alpha)\n"
        out += "method: \(Self.quoted(method))\n"
        out += "run-files:\n" + runFiles.map { "  - \(Self.quoted($0))\n" }.joined()
        out += "cells:\n"
        for row in cells.keys.sorted() {
            out += "  \(Self.quoted(row)):\n"
            for metric in cells[row]!.keys.sorted() {
                let e = cells[row]![metric]!
                var fields = ["noise: \(Self.percent(e.noise))"]
                if let d = e.detectable { fields.append("detectable: \(Self.percent(d))") }
                if let t = e.threshold { fields.append("threshold: \(Self.percent(t))") }
                out += "    \(Self.quoted(metric)): { \(fields.joined(separator: ", ")) }\n"
            }
        }
        return out
    }

    /// Reads a thresholds file; every problem names the file and the key.
    public static func read(path: String) throws(CompareInputError) -> Calibration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CompareInputError(
                "\(path): cannot read the thresholds file (\((error as NSError).localizedDescription))")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(CompareInputError) -> Calibration {
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            throw CompareInputError("\(path): not valid YAML (\(error))")
        }
        guard let top = node as? [String: Any] else {
            throw CompareInputError("\(path): expected a mapping at the top level")
        }
        guard let schema = top["schema"] as? String else { throw CompareInputError("\(path): no 'schema' key") }
        guard schema == Self.schema else {
            throw CompareInputError("\(path): unknown thresholds schema '\(schema)' (this surge reads \(Self.schema))")
        }
        func string(_ key: String) throws(CompareInputError) -> String {
            guard let v = top[key] else { throw CompareInputError("\(path): missing key '\(key)'") }
            return "\(v)"
        }
        func int(_ key: String) throws(CompareInputError) -> Int {
            guard let v = top[key] as? Int else { throw CompareInputError("\(path): '\(key)' must be a whole number") }
            return v
        }
        guard let cellNode = top["cells"] as? [String: Any] else {
            throw CompareInputError("\(path): 'cells' must be a mapping")
        }
        var cells: [String: [String: Entry]] = [:]
        for (row, value) in cellNode {
            guard let metrics = value as? [String: Any] else {
                throw CompareInputError("\(path): cells.\(row) must be a mapping")
            }
            for (metric, v) in metrics {
                let key = "cells.\(row).\(metric)"
                guard let fields = v as? [String: Any] else {
                    throw CompareInputError("\(path): \(key) must be a mapping")
                }
                func fraction(_ name: String) throws(CompareInputError) -> Double? {
                    guard let raw = fields[name] else { return nil }
                    return try MetricThreshold.parseAmount("\(raw)", context: "\(path): \(key).\(name)")
                }
                guard let noise = try fraction("noise") else {
                    throw CompareInputError("\(path): \(key) has no 'noise'")
                }
                cells[row, default: [:]][metric] = Entry(
                    noise: noise, detectable: try fraction("detectable"), threshold: try fraction("threshold"))
            }
        }
        let alpha = (top["alpha"] as? Double) ?? 0.05
        return Calibration(
            scenario: try string("scenario"), scenarioSHA256: try string("scenario-sha256"), host: try string("host"),
            createdAt: (top["created"]).map { "\($0)" } ?? "", runs: try int("runs"),
            repetitions: try int("repetitions"),
            alpha: alpha, method: (top["method"]).map { "\($0)" } ?? "",
            runFiles: (top["run-files"] as? [String]) ?? [],
            cells: cells)
    }

    static func percent(_ fraction: Double) -> String {
        let p = (fraction * 1000).rounded() / 10
        return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
