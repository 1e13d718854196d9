import SurgeLoad
import SurgeProbes
import SurgeProfile
import SurgeScenario
import Synchronization

/// Checks what `ScenarioLoader` cannot: that the workload kind exists, that every workload key is
/// one the kind accepts, that each cell's values parse, that components exist and CPUs are real.
/// Every problem names the file, line and key.
public enum ScenarioValidator {
    /// A built-in component as the validator sees it: its name and a check of its `options:`, which
    /// returns each bad key with a message (the component's own declared options decide).
    public struct ComponentCheck: Sendable {
        public typealias Problems = @Sendable ([String: String]) -> [(key: String, message: String)]
        public var name: String
        public var problems: Problems

        public init(name: String, problems: @escaping Problems) {
            self.name = name
            self.problems = problems
        }
    }

    private static let registered = Mutex<[ComponentCheck]>([])

    /// Built-in components `surge serve` knows; the CLI fills this in (the runner links no component).
    public static var components: [ComponentCheck] {
        get { registered.withLock { $0 } }
        set { registered.withLock { $0 = newValue } }
    }

    /// The names of `components`; setting it registers components whose options are not checked.
    public static var knownComponents: [String] {
        get { components.map(\.name) }
        set { components = newValue.map { ComponentCheck(name: $0) { _ in [] } } }
    }

    /// Every problem found, in file order.
    public static func diagnostics(for scenario: Scenario) -> [ScenarioDiagnostic] {
        var out: [ScenarioDiagnostic] = []
        func error(_ key: String, _ loc: SourceLocation, _ message: String) {
            out.append(ScenarioDiagnostic(file: scenario.file, location: loc, key: key, message: message))
        }
        let checks = components
        for t in scenario.targets {
            if case .component(let name) = t.kind, !checks.isEmpty, !checks.contains(where: { $0.name == name }) {
                let key = t.name == "default" ? "target.component" : "targets.\(t.name).component"
                let known = checks.map(\.name).joined(separator: ", ")
                error(key, t.location, "unknown component '\(name)'; built in: \(known)")
            }
        }
        // Every cell's options, so a value only a matrix combination produces is caught too; such a
        // problem names the first cell it occurs in, one common to every cell of the target names none.
        var first: [(id: String, spec: TargetSpec, key: String, message: String, cell: String)] = []
        var occurrences: [String: Int] = [:]
        var cellsPerTarget: [String: Int] = [:]
        for cell in scenario.cells() {
            guard case .component(let name) = cell.target.kind, let check = checks.first(where: { $0.name == name }),
                  let spec = scenario.targets.first(where: { $0.name == cell.target.name }) else { continue }
            cellsPerTarget[spec.name, default: 0] += 1
            for problem in check.problems(cell.target.options) {
                let id = "\(spec.name)|\(problem.key)|\(problem.message)"
                if occurrences[id] == nil { first.append((id, spec, problem.key, problem.message, cell.name)) }
                occurrences[id, default: 0] += 1
            }
        }
        for p in first {
            let prefix = p.spec.name == "default" ? "target.options" : "targets.\(p.spec.name).options"
            let everywhere = occurrences[p.id] == cellsPerTarget[p.spec.name]
            error("\(prefix).\(p.key)", p.spec.options[p.key]?.location ?? p.spec.location,
                  p.message + (everywhere ? "" : " (in cell \(p.cell))"))
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
        do {
            _ = try ProfileKind.parseList(scenario.profile.joined(separator: ","))
        } catch let problem {
            error("profile", scenario.profileLocation, "\(problem)")
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
