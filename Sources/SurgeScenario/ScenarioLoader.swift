import Foundation
import Yams

/// Reads a scenario file, checks it, and reports every problem with file, line and key.
///
/// What it checks: YAML syntax; unknown keys; value types; durations, counts and CPU lists;
/// that the matrix is not empty and `exclude` names real axes and values; that every
/// `{placeholder}` names a matrix axis (or `port`/`stats_port`/`broker_port` in a command target). It does not
/// know the workload kinds: `SurgeRunner.ScenarioValidator` checks `workload.*` against them.
public enum ScenarioLoader {
    static let topLevelKeys: Set<String> = [
        "name", "description", "target", "targets", "workload", "workloads", "matrix", "exclude", "warmup",
        "repetitions", "cpus", "probes", "thresholds", "timeout", "profile", "order", "target-lifetime", "build",
    ]
    static let targetKeys: Set<String> = ["component", "command", "options", "env", "ready-timeout", "stop-timeout", "nodes"]
    /// Placeholders that the runner assigns, and where they may be used.
    public static let runtimePlaceholders: Set<String> = ["port", "stats_port", "build", "broker_port"]
    /// The workload kind that runs and measures its own command, so a scenario of only it needs no `target:`.
    public static let selfMeasuredKind = "command"

    public static func load(path: String) throws(ScenarioErrors) -> Scenario {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScenarioErrors([ScenarioDiagnostic(file: path, location: .unknown, key: "", message: "cannot read the file: \((error as NSError).localizedDescription)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioErrors([ScenarioDiagnostic(file: path, location: .unknown, key: "", message: "the file is not UTF-8 text")])
        }
        return try parse(text, file: path, sha256: SHA256.hex(of: data))
    }

    public static func parse(_ text: String, file: String, sha256: String? = nil) throws(ScenarioErrors) -> Scenario {
        var reader = Reader(file: file)
        let root: ScenarioValue
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScenarioErrors([ScenarioDiagnostic(file: file, location: .unknown, key: "", message: "the file is empty")])
            }
            root = ScenarioValue(node: node)
        } catch let e as ScenarioErrors {
            throw e
        } catch let e as YamlError {
            throw ScenarioErrors([reader.yamlDiagnostic(e)])
        } catch {
            throw ScenarioErrors([ScenarioDiagnostic(file: file, location: .unknown, key: "", message: "cannot parse YAML: \(error)")])
        }
        let scenario = reader.scenario(from: root, sha256: sha256 ?? SHA256.hex(of: Data(text.utf8)))
        if !reader.diagnostics.isEmpty {
            throw ScenarioErrors(reader.diagnostics.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) })
        }
        return scenario!
    }
}

/// Walks the YAML tree, collecting diagnostics instead of stopping at the first.
struct Reader {
    let file: String
    var diagnostics: [ScenarioDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    mutating func error(_ key: String, _ location: SourceLocation, _ message: String) {
        diagnostics.append(ScenarioDiagnostic(file: file, location: location, key: key, message: message))
    }

    func yamlDiagnostic(_ e: YamlError) -> ScenarioDiagnostic {
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let ctx = context.map { "\($0.text) " } ?? ""
            return ScenarioDiagnostic(file: file, location: SourceLocation(line: mark.line, column: mark.column), key: "", message: "invalid YAML: \(ctx)\(problem)")
        default:
            return ScenarioDiagnostic(file: file, location: .unknown, key: "", message: "invalid YAML: \(e)")
        }
    }

    // MARK: the scenario

    mutating func scenario(from root: ScenarioValue, sha256: String) -> Scenario? {
        guard case .map(let entries, _) = root else {
            error("", root.location, "a scenario must be a mapping of keys (name, target, workload, matrix, ...), found \(root.typeName)")
            return nil
        }
        var top: [String: ScenarioEntry] = [:]
        for e in entries {
            if !ScenarioLoader.topLevelKeys.contains(e.key) {
                error(e.key, e.keyLocation, "unknown key; expected one of \(ScenarioLoader.topLevelKeys.sorted().joined(separator: ", "))")
            } else if top[e.key] != nil {
                error(e.key, e.keyLocation, "given twice")
            } else {
                top[e.key] = e
            }
        }
        let name = string(top["name"], key: "name") ?? {
            error("name", root.location, "missing; every scenario needs a name")
            return "scenario"
        }()
        if !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            error("name", top["name"]!.value.location, "'\(name)' may hold only letters, digits, '-' and '_' (it names result files)")
        }
        let matrix = self.matrix(top["matrix"])
        let axisNames = Set(matrix.map(\.name))
        let workloads = self.workloads(top, matrix: matrix, rootLocation: root.location)
        let targets = self.targets(
            top, axisNames: axisNames, matrix: matrix, rootLocation: root.location,
            workloads: workloads)
        let exclude = self.exclude(top["exclude"], matrix: matrix)
        let warmup = duration(top["warmup"], key: "warmup") ?? 1
        let repetitions = integer(top["repetitions"], key: "repetitions", range: 1...1000) ?? 6
        let timeout = duration(top["timeout"], key: "timeout") ?? 300
        let cpus = self.cpus(top["cpus"])
        let probes = stringList(top["probes"], key: "probes") ?? []
        let thresholds = self.thresholds(top["thresholds"])
        let order = self.order(top["order"])
        let lifetime = self.targetLifetime(top["target-lifetime"])
        let build = self.build(top["build"])

        for w in workloads { checkPlaceholders(workload: w, axes: axisNames) }
        for t in targets { checkPlaceholders(target: t, axes: axisNames) }
        checkBuildPlaceholder(targets: targets, build: build)
        checkAxesUsed(matrix: matrix, targets: targets, workloads: workloads, selectors: [
            top["targets"] != nil ? Scenario.targetAxis : nil, top["workloads"] != nil ? Scenario.workloadAxis : nil,
        ].compactMap { $0 })

        var scenario = Scenario(
            name: name, description: string(top["description"], key: "description"), file: file, sha256: sha256,
            targets: targets,
            workloads: workloads,
            matrix: matrix, exclude: exclude, warmup: warmup, repetitions: repetitions, cpus: cpus,
            probes: probes, probesLocation: top["probes"]?.keyLocation ?? .unknown,
            thresholds: thresholds, cellTimeout: timeout)
        if diagnostics.isEmpty, !matrix.isEmpty, scenario.cells().isEmpty {
            error("exclude", top["exclude"]?.keyLocation ?? .unknown, "every cell of the matrix is excluded; nothing would run")
        }
        scenario.file = file
        scenario.order = order ?? .sequential
        scenario.targetLifetime = lifetime
        scenario.build = build
        scenario.profile = stringList(top["profile"], key: "profile") ?? []
        scenario.profileLocation = top["profile"]?.keyLocation ?? .unknown
        return scenario
    }
}

/// Durations as scenarios write them: `10s`, `500ms`, `2m`, `1h`, `250us`, or a bare number of seconds.
public enum Durations {
    public static func parse(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in [("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v >= 0, v.isFinite else { return nil }
            return v * scale
        }
        guard let v = Double(s), v >= 0, v.isFinite else { return nil }
        return v
    }
}
