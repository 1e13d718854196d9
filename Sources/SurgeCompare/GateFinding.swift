import SurgeResults

/// Where the threshold a metric is gated at came from, in order of precedence.
public enum ThresholdSource: String, Sendable {
    /// `--threshold` on the command line.
    case commandLine = "--threshold"
    /// `Reports/baselines/NAME.thresholds.yaml`, written by `surge calibrate`.
    case calibration = "calibrated"
    /// The scenario's `thresholds:`.
    case scenario = "scenario"
    /// The default of the cell's workload kind for one of its key metrics.
    case workload = "workload default"
}

/// One compared figure (a cell's metric in one column against the baseline column) as the gate saw it.
public struct GateFinding: Sendable {
    public enum Verdict: String, Sendable {
        case regression
        case improvement
        /// Significant but within the threshold.
        case withinThreshold = "within-threshold"
        case unchanged
    }

    /// Whether the finding counts towards the verdict.
    public enum Role: Sendable, Equatable {
        /// Has a threshold: a regression here fails the gate.
        case gated
        /// No threshold (or a gauge): shown with its change and p, never a failure.
        case informational
        /// Restates a gated metric of the same cell (`B/s`, `ns/op` of `msgs/s`): shown, counted once, there.
        case derived(from: String)
        /// Measured by different methods on the two sides (`uprobe vs preload`): not compared.
        case notComparable(String)
    }

    public var table: Int
    /// Where the compared cell is: `tables[table].cells[rowIndex][columnIndex]`.
    public var rowIndex = 0
    public var columnIndex = 0
    public var row: String
    public var column: String
    /// The table's (tidied) unit, as benchstat prints it.
    public var unit: String
    public var metric: Metric
    public var direction: MetricDirection { metric.direction }
    public var change: Double?
    /// The threshold in effect (fraction), nil when the metric has none.
    public var threshold: Double?
    public var thresholdSource: ThresholdSource?
    /// The calibrated noise floor of this cell and metric, when a calibration holds one.
    public var noiseFloor: Double?
    public var p: Double
    public var significant: Bool
    public var verdict: Verdict
    public var role: Role

    public var isGated: Bool { role == .gated }
    /// A regression that fails the gate.
    public var isRegression: Bool { role == .gated && verdict == .regression }
    public var isImprovement: Bool { role == .gated && verdict == .improvement }
    /// The threshold in effect is below the measured noise floor: identical builds could trip it.
    public var thresholdBelowNoise: Bool {
        guard let threshold, let noiseFloor else { return false }
        return threshold < noiseFloor
    }
}
