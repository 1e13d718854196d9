import SurgeStats

/// Sentences about gates that identical builds could trip: a threshold in effect below the noise
/// floor a calibration measured, and scenario thresholds a calibration overrides for that reason.
enum NoiseWarnings {
    static func sentences(_ findings: [GateFinding], gate: RegressionGate, calibrationPath: String?) -> [String] {
        var below: [String: (threshold: Double, source: ThresholdSource, noise: Double, cells: Int)] = [:]
        var overridden: [String: (scenario: Double, noise: Double, cells: Int)] = [:]
        for f in findings where f.isGated {
            guard let noise = f.noiseFloor else { continue }
            if f.thresholdBelowNoise, let t = f.threshold, let source = f.thresholdSource {
                let e = below[f.unit]
                below[f.unit] = (t, source, max(noise, e?.noise ?? 0), (e?.cells ?? 0) + 1)
            } else if f.thresholdSource == .calibration,
                let scenario = gate.scenario.last(where: { $0.names(f.metric) }), scenario.fraction < noise
            {
                let e = overridden[f.unit]
                overridden[f.unit] = (scenario.fraction, max(noise, e?.noise ?? 0), (e?.cells ?? 0) + 1)
            }
        }
        let from = calibrationPath.map { " (calibration \($0))" } ?? ""
        var out: [String] = []
        for unit in below.keys.sorted() {
            let e = below[unit]!
            out.append(
                "a \(pct(e.threshold)) gate (\(e.source.rawValue)) on \(unit), which moves up to \(pct(e.noise)) between "
                    + "identical runs in \(e.cells) cell\(e.cells == 1 ? "" : "s")\(from): identical builds can fail it"
            )
        }
        for unit in overridden.keys.sorted() {
            let e = overridden[unit]!
            out.append(
                "the scenario's \(pct(e.scenario)) threshold for \(unit) is below its noise floor (up to \(pct(e.noise)) in "
                    + "\(e.cells) cell\(e.cells == 1 ? "" : "s")); the calibrated thresholds apply\(from)")
        }
        return out
    }

    static func pct(_ fraction: Double) -> String {
        GoFloatFormat.shortest((fraction * 1000).rounded() / 10) + "%"
    }
}
