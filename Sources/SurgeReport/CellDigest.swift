import Foundation
import SurgeResults
import SurgeStats

/// One cell of a run, summarised for a report: every metric's median with its 95% confidence
/// interval (exact counts: mode and range), the raw values, and the merged latency spectrum.
public struct CellDigest: Sendable {
    /// Benchmark name without `Benchmark` (the row label `surge compare` uses).
    public var name: String
    public var parameters: [CellParameter]
    public var status: CellStatus
    public var reason: String?
    public var targetStderr: [String]
    /// Metric unit (as the result file names it) → summary of its values over the repetitions.
    public var summaries: [String: Summary]
    public var values: [String: [Double]]
    public var spectrum: LatencySpectrum?

    /// `spectrum: false` skips decoding the latency histograms (trend analysis needs only the metrics).
    public init(cell: CellResult, confidence: Double = 0.95, spectrum withSpectrum: Bool = true) {
        name = RunResultRecords.benchmarkName(cell)
        parameters = cell.parameters
        status = cell.status
        reason = cell.reason
        targetStderr = cell.targetStderr ?? []
        var values: [String: [Double]] = [:]
        for sample in cell.samples {
            for (unit, v) in sample.metrics where v.isFinite { values[unit, default: []].append(v) }
        }
        self.values = values
        var summaries: [String: Summary] = [:]
        for (unit, vs) in values {
            summaries[unit] = MetricKind.isExact(unit) ? Summary.exact(vs) : Summary(vs, confidence: confidence)
        }
        self.summaries = summaries
        spectrum = withSpectrum ? LatencySpectrum(histograms: cell.samples.compactMap(\.latencyHistogram)) : nil
    }

    /// `publishers=1 subscribers=8`: the parameters, for a reader.
    public var label: String {
        parameters.isEmpty ? name : parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    /// Parameter values only, `1/8/16/batched`: the short label of a chart axis.
    public var shortLabel: String {
        parameters.isEmpty ? name : parameters.map(\.value).joined(separator: "/")
    }
}

/// A run summarised cell by cell, in the result file's cell order.
public struct RunDigest: Sendable {
    public var run: RunResult
    public var cells: [CellDigest]
    /// Every metric measured in an ok cell, in report order.
    public var units: [String]

    public init(_ run: RunResult, confidence: Double = 0.95) {
        self.run = run
        cells = run.cells.map { CellDigest(cell: $0, confidence: confidence) }
        units = MetricFormat.ordered(cells.filter { $0.status == .ok }.flatMap { $0.values.keys })
    }

    public var okCells: [CellDigest] { cells.filter { $0.status == .ok && !$0.values.isEmpty } }

    public func cell(named name: String) -> CellDigest? { cells.first { $0.name == name } }

    /// The throughput metric of the run (`msgs/s`, else `req/s`, …), if any cell measured one.
    public var throughputUnits: [String] { MetricFormat.throughputUnits.filter(units.contains) }

    /// Names of the matrix parameters, in the scenario's order.
    public var parameterNames: [String] {
        var names: [String] = []
        for cell in cells { for p in cell.parameters where !names.contains(p.name) { names.append(p.name) } }
        return names
    }
}
