import SurgeResults

/// Whether the Surge inputs of a comparison measured the same thing on the same kind of machine:
/// another scenario is fatal (exit 3) unless allowed; another host is fatal for plain inputs and a
/// warning against a named baseline (fatal with `strict`).
enum InputMismatch {
    static func check(_ read: CompareInputs, _ request: ComparisonRequest) -> (fatal: String?, warnings: [String]) {
        let runs = read.inputs.compactMap { input in input.run.map { (input.label, $0) } }
        guard let (firstLabel, first) = runs.first else { return (nil, []) }
        var warnings: [String] = []
        var fatal: String?
        for (label, run) in runs.dropFirst() {
            if run.scenario.name != first.scenario.name {
                let text = "\(firstLabel) is scenario '\(first.scenario.name)', \(label) is '\(run.scenario.name)'"
                if request.allowMismatch { warnings.append(text) } else if fatal == nil { fatal = text }
            }
            if run.host.fingerprint != first.host.fingerprint {
                let text =
                    "host fingerprints differ: \(firstLabel): \(first.host.fingerprint); \(label): \(run.host.fingerprint)"
                let failing = request.viaBaseline ? request.strict : true
                if request.allowMismatch || !failing { warnings.append(text) } else if fatal == nil { fatal = text }
            }
        }
        return (fatal, warnings)
    }
}
