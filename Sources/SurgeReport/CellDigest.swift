import Foundation
import SurgeResults
import SurgeStats

/// One cell of a run, summarised for a report: every metric's median with its 95% confidence
/// interval (exact counts: their mode and range), the raw values, and the merged latency spectrum.
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
    /// The workload kind that measured the cell, as the result file records it (nil in older files).
    public var workloadKind: String?
    /// The workload's `rate:` (see `CellResult.offeredRate`); nil for a closed loop and in older files.
    public var offeredRate: Double?
    /// The metrics the cell's workload kind is judged by (the result's `keyMetrics`).
    public var keyMetrics: [String]
    /// Parameters left out of labels because every cell of the run has the same value.
    public var commonParameters: Set<String> = []

    /// `spectrum: false` skips decoding the latency histograms (trend analysis needs only the metrics);
    /// `units` limits the values and summaries to those metrics.
    public init(
        cell: CellResult, confidence: Double = 0.95, spectrum withSpectrum: Bool = true, units: Set<String>? = nil
    ) {
        name = RunResultRecords.benchmarkName(cell)
        parameters = cell.parameters
        status = cell.status
        reason = cell.reason
        targetStderr = cell.targetStderr ?? []
        workloadKind = cell.workloadKind
        offeredRate = cell.offeredRate
        keyMetrics = MetricFormat.ordered((cell.keyMetrics ?? [:]).keys)
        var values: [String: [Double]] = [:]
        for sample in cell.samples {
            for (unit, v) in sample.metrics where v.isFinite && units?.contains(unit) != false {
                values[unit, default: []].append(v)
            }
        }
        self.values = values
        var summaries: [String: Summary] = [:]
        for (unit, vs) in values {
            // Per-op figures are averages: median and CI like any statistical metric; only exact counts show a mode.
            summaries[unit] = Metric.named(unit).metricClass == .exact ? Summary.exact(vs) : Summary(vs, confidence: confidence)
        }
        self.summaries = summaries
        spectrum = withSpectrum ? LatencySpectrum(histograms: cell.samples.compactMap(\.latencyHistogram)) : nil
    }

    /// `publishers=1 subscribers=8`: the parameters, for a reader.
    public var label: String {
        let shown = parameters.filter { !commonParameters.contains($0.name) }
        return shown.isEmpty ? name : shown.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    /// Parameter values only, `1/8/16/batched`: the short label of a chart axis.
    public var shortLabel: String {
        let shown = parameters.filter { !commonParameters.contains($0.name) }
        return shown.isEmpty ? name : shown.map(\.value).joined(separator: "/")
    }
}

/// A run summarised cell by cell, in the result file's cell order.
public struct RunDigest: Sendable {
    public var run: RunResult
    public var cells: [CellDigest]
    /// Parameters with one value in every cell (left out of cell labels, shown once).
    public var commonParameters: [CellParameter]
    /// Every metric measured in an ok cell, in report order.
    public var units: [String]

    public init(_ run: RunResult, confidence: Double = 0.95) {
        self.run = run
        var cells = run.cells.map { CellDigest(cell: $0, confidence: confidence) }
        var common: [CellParameter] = []
        if cells.count > 1 {
            for p in cells[0].parameters where cells.allSatisfy({ c in c.parameters.contains(p) }) { common.append(p) }
        }
        for i in cells.indices { cells[i].commonParameters = Set(common.map(\.name)) }
        self.cells = cells
        commonParameters = common
        units = MetricFormat.ordered(cells.filter { $0.status == .ok }.flatMap { $0.values.keys })
    }

    public var okCells: [CellDigest] { cells.filter { $0.status == .ok && !$0.values.isEmpty } }

    public func cell(named name: String) -> CellDigest? { cells.first { $0.name == name } }

    /// The throughput metric of the run (`msgs/s`, else `req/s`, …), if any cell measured one.
    public var throughputUnits: [String] { MetricFormat.throughputUnits.filter(units.contains) }

    /// Names of the matrix parameters that vary between cells, in the scenario's order.
    public var parameterNames: [String] {
        var names: [String] = []
        let common = Set(commonParameters.map(\.name))
        for cell in cells { for p in cell.parameters where !names.contains(p.name) && !common.contains(p.name) { names.append(p.name) } }
        return names
    }

    /// The metrics a throughput chart and the table's bars use: messages or requests per second
    /// (bytes per second only when neither was measured).
    public var primaryThroughputUnits: [String] {
        let primary = ["msgs/s", "req/s", "ops/s"].filter(units.contains)
        return primary.isEmpty ? throughputUnits.prefix(1).map { $0 } : primary
    }
}
