import SurgeLoad
import SurgeProbes
import SurgeScenario

/// Checks what `ScenarioLoader` cannot: that the workload kind exists, that every workload key is
/// one the kind accepts, that each cell's values parse, that components exist and CPUs are real.
/// Every problem names the file, line and key.
public enum ScenarioValidator {
    /// Built-in components `surge serve` knows; the CLI fills this in (the runner links no component).
    public nonisolated(unsafe) static var knownComponents: [String] = []

    /// Every problem found, in file order.
    public static func diagnostics(for scenario: Scenario) -> [ScenarioDiagnostic] {
        var out: [ScenarioDiagnostic] = []
        func error(_ key: String, _ loc: SourceLocation, _ message: String) {
            out.append(ScenarioDiagnostic(file: scenario.file, location: loc, key: key, message: message))
        }
        for t in scenario.targets {
            if case .component(let name) = t.kind, !knownComponents.isEmpty, !knownComponents.contains(name) {
                let key = t.name == "default" ? "target.component" : "targets.\(t.name).component"
                error(key, t.location, "unknown component '\(name)'; built in: \(knownComponents.joined(separator: ", "))")
            }
        }
        if let cpus = scenario.cpus {
            for list in [cpus.target, cpus.load] {
                if let problem = CPUAffinity.validate(list) { error("cpus", .unknown, problem) }
            }
        }
        do {
            _ = try ProbeKind.parseList(scenario.probes.joined(separator: ","))
        } catch let problem {
            error("probes", scenario.probesLocation, "\(problem)")
        }
        let cells = scenario.cells()
        for spec in scenario.workloads {
            guard let type = WorkloadRegistry.type(forKind: spec.kind) else {
                if !spec.kind.isEmpty {
                    error("\(spec.keyPrefix).kind", spec.kindLocation, "unknown workload kind '\(spec.kind)'; known: \(WorkloadRegistry.kinds.joined(separator: ", "))")
                }
                continue
            }
            let accepted = Set(type.parameters.map(\.name))
            for key in spec.fields.keys.sorted() where !accepted.contains(key) {
                error("\(spec.keyPrefix).\(key)", spec.keyLocations[key] ?? .unknown,
                      "unknown key for \(spec.kind); accepted: \(type.parameters.map(\.name).joined(separator: ", "))")
            }
            // Build the workload of every cell, so a value that only a matrix combination produces is caught too.
            var seen = Set<String>()
            for cell in cells where cell.workloadName == spec.name {
                do {
                    _ = try type.init(parameters: cell.workloadParameters)
                } catch let e as WorkloadParameterError {
                    let text = e.message + (cell.parameters.isEmpty ? "" : " (in cell \(cell.name))")
                    if seen.insert("\(e.key)|\(e.message)").inserted {
                        error("\(spec.keyPrefix).\(e.key)", spec.fields[e.key]?.location ?? spec.keyLocations[e.key] ?? spec.kindLocation, text)
                    }
                } catch let other {
                    error(spec.keyPrefix, spec.kindLocation, "\(other)")
                }
            }
        }
        return out.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
    }
}

extension Cell {
    /// The cell's workload fields as the workload API takes them.
    public var workloadParameters: WorkloadParameters {
        WorkloadParameters(workload.mapValues { value in
            switch value {
            case .scalar(let s): return .scalar(s)
            case .list(let l): return .list(l)
            }
        })
    }
}
