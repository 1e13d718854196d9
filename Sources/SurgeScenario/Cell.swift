/// One cell of a scenario's matrix, with everything resolved but the runtime placeholders
/// (`{port}`, `{stats_port}`), which the runner fills in when it starts the target.
public struct Cell: Sendable {
    /// 0-based position among the scenario's cells (after `exclude`).
    public var index: Int
    /// Matrix parameters in the scenario's axis order.
    public var parameters: [(name: String, value: String)]
    /// Go benchmark name: `BenchmarkBrokerFanout/publishers=1/payload=16`.
    public var name: String
    public var target: ResolvedTarget
    /// Workload fields with matrix values substituted.
    public var workload: [String: ResolvedValue]
    public var workloadKind: String
    /// `default`, or the chosen entry of the scenario's `workloads:`.
    public var workloadName: String

    public enum ResolvedValue: Sendable, Equatable {
        case scalar(String)
        case list([String])
    }
}

/// A target with matrix values substituted.
public struct ResolvedTarget: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case component(String)
        case command([String])
        /// No target process; the workload (`command`) runs its own.
        case workloadOwned
    }

    public var name: String
    public var kind: Kind
    public var options: [String: String]
    public var environment: [String: String]
    public var readyTimeout: Double
    public var stopTimeout: Double
    /// Processes of the component that form the target; 1 unless the scenario says `nodes:`.
    public var nodes: Int = 1

    /// An external program rather than a built-in component.
    public var isCommand: Bool {
        if case .command = kind { return true }
        return false
    }

    /// Fills in `{port}` and `{stats_port}` in a command and its environment.
    public func withRuntime(port: Int, statsPort: Int) -> ResolvedTarget {
        var copy = self
        let values = ["port": String(port), "stats_port": String(statsPort)]
        let fill: (String) -> String = { (try? Placeholders.substitute($0) { values[$0] }) ?? $0 }
        if case .command(let argv) = kind { copy.kind = .command(argv.map(fill)) }
        copy.environment = environment.mapValues(fill)
        return copy
    }
}

extension Scenario {
    /// The target a cell of `workload` runs against: the one the workload names (`target:` in the
    /// workload), else the `target` axis's choice, else the only one. A `command` workload in a scenario
    /// whose workloads name their targets runs its own processes.
    func targetSpec(for workload: WorkloadSpec, axisValue: String?) -> TargetSpec {
        if let name = workload.target?.text, let spec = targets.first(where: { $0.name == name }) { return spec }
        if workload.kind == ScenarioLoader.selfMeasuredKind, workloads.contains(where: { $0.target != nil }) {
            return TargetSpec(
                name: "none", kind: .workloadOwned, options: [:], environment: [:], readyTimeout: 0, stopTimeout: 5,
                location: workload.kindLocation)
        }
        return targets.first { $0.name == axisValue } ?? targets[0]
    }

    /// Every combination of the matrix values, in file order (the first axis varies slowest),
    /// without the excluded ones. A scenario with no matrix has one cell.
    public func cells() -> [Cell] {
        var combos: [[(name: String, value: String)]] = [[]]
        for axis in matrix {
            combos = combos.flatMap { prefix in axis.values.map { prefix + [(axis.name, $0)] } }
        }
        combos.removeAll { combo in
            exclude.contains { rule in rule.allSatisfy { k, v in combo.contains { $0.name == k && $0.value == v } } }
        }
        return combos.enumerated().map { i, params in
            let values = Dictionary(params.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            let fill: (String) -> String = { (try? Placeholders.substitute($0) { values[$0] }) ?? $0 }
            let workload = workloads.first { $0.name == values[Scenario.workloadAxis] } ?? workloads[0]
            let spec = targetSpec(for: workload, axisValue: values[Scenario.targetAxis])
            let kind: ResolvedTarget.Kind
            switch spec.kind {
            case .component(let c): kind = .component(c)
            case .command(let argv): kind = .command(argv.map { fill($0.text) })
            case .workloadOwned: kind = .workloadOwned
            }
            let target = ResolvedTarget(
                name: spec.name, kind: kind, options: spec.options.mapValues { fill($0.text) },
                environment: spec.environment.mapValues { fill($0.text) },
                readyTimeout: spec.readyTimeout, stopTimeout: spec.stopTimeout, nodes: spec.nodes)
            let workloadValues = workload.fields.mapValues { field -> Cell.ResolvedValue in
                switch field {
                case .scalar(let f): return .scalar(fill(f.text))
                case .list(let l): return .list(l.map { fill($0.text) })
                }
            }
            let name = ([benchmarkName] + params.map { "\($0.name)=\($0.value)" }).joined(separator: "/")
            return Cell(index: i, parameters: params, name: name, target: target, workload: workloadValues, workloadKind: workload.kind, workloadName: workload.name)
        }
    }
}
