import ArgumentParser
import SurgeCompare

/// The gate's options, shared by `surge compare` and `surge report`: explicit thresholds and which
/// calibration (if any) to judge by.
struct GateOptions: ParsableArguments {
    @Option(name: .customLong("threshold"), help: ArgumentHelp(
        "Per-metric threshold, e.g. 'msgs/s=3%', 'allocs/op=0', '*=2%' (repeatable); overrides calibrated and scenario thresholds.",
        valueName: "metric=percent"))
    var thresholds: [String] = []

    @Option(name: .customLong("thresholds-file"), help: ArgumentHelp(
        "Calibrated thresholds (from `surge calibrate`). Default: BASELINES-DIR/NAME.thresholds.yaml when it exists, NAME being --baseline or the scenario file's name.",
        valueName: "path"))
    var thresholdsFile: String?

    @Flag(name: .customLong("no-calibration"), help: "Ignore calibrated thresholds files.")
    var noCalibration = false

    /// Sets `request`'s thresholds and calibration; a threshold or thresholds file that cannot be read throws.
    func apply(to request: inout ComparisonRequest, baselinesDirectory: String, baseline: String?) throws(CompareInputError) {
        for t in thresholds { request.thresholds.append(try MetricThreshold.parse(t)) }
        if let thresholdsFile {
            request.calibration = try Calibration.read(path: thresholdsFile)
            request.calibrationPath = thresholdsFile
        } else if !noCalibration {
            request.calibrationDirectory = baselinesDirectory
            request.calibrationName = baseline
        }
    }
}
