import Foundation
import Yams

/// Reads a scenario file, checks it, and reports every problem with file, line and key.
///
/// What it checks: YAML syntax; unknown keys; value types; durations, counts and CPU lists;
/// that the matrix is not empty and `exclude` names real axes and values; that every
/// `{placeholder}` names a matrix axis (or `port`/`stats_port` in a command target). It does not
/// know the workload kinds: `SurgeRunner.ScenarioValidator` checks `workload.*` against them.
public enum ScenarioLoader {
    static let topLevelKeys: Set<String> = [
        "name", "description", "target", "targets", "workload", "workloads", "matrix", "exclude", "warmup",
        "repetitions", "cpus", "probes", "thresholds", "timeout",
    ]
    static let targetKeys: Set<String> = ["component", "command", "options", "env", "ready-timeout", "stop-timeout", "nodes"]
    /// Placeholders that the runner assigns, and where they may be used.
    public static let runtimePlaceholders: Set<String> = ["port", "stats_port"]

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
        let targets = self.targets(top, axisNames: axisNames, matrix: matrix, rootLocation: root.location)
        let workloads = self.workloads(top, matrix: matrix, rootLocation: root.location)
        let exclude = self.exclude(top["exclude"], matrix: matrix)
        let warmup = duration(top["warmup"], key: "warmup") ?? 1
        let repetitions = integer(top["repetitions"], key: "repetitions", range: 1...1000) ?? 6
        let timeout = duration(top["timeout"], key: "timeout") ?? 300
        let cpus = self.cpus(top["cpus"])
        let probes = stringList(top["probes"], key: "probes") ?? []
        let thresholds = self.thresholds(top["thresholds"])

        for w in workloads { checkPlaceholders(workload: w, axes: axisNames) }
        for t in targets { checkPlaceholders(target: t, axes: axisNames) }
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
        return scenario
    }

    // MARK: sections

    mutating func matrix(_ entry: ScenarioEntry?) -> [MatrixAxis] {
        guard let entry else { return [] }
        guard case .map(let axes, let loc) = entry.value else {
            error("matrix", entry.value.location, "expected a mapping of parameter → list of values, found \(entry.value.typeName)")
            return []
        }
        if axes.isEmpty {
            error("matrix", loc == .unknown ? entry.keyLocation : loc, "empty matrix: give at least one parameter with values, or leave `matrix` out for a single cell")
        }
        var result: [MatrixAxis] = []
        for axis in axes {
            let key = "matrix.\(axis.key)"
            if ScenarioLoader.runtimePlaceholders.contains(axis.key) {
                error(key, axis.keyLocation, "'\(axis.key)' is assigned by the runner and cannot be a matrix parameter")
            }
            if !axis.key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) || axis.key.isEmpty {
                error(key, axis.keyLocation, "parameter names may hold only letters, digits, '-', '_' and '.'")
            }
            var values: [String] = []
            switch axis.value {
            case .scalar(let s, _):
                values = [s]
            case .list(let items, let l):
                if items.isEmpty { error(key, l, "empty matrix axis: give at least one value") }
                for (i, item) in items.enumerated() {
                    guard let s = item.scalar else {
                        error("\(key)[\(i)]", item.location, "expected a single value, found \(item.typeName)")
                        continue
                    }
                    if s.contains("/") || s.contains(" ") {
                        error("\(key)[\(i)]", item.location, "'\(s)' may not contain '/' or spaces (it becomes part of a benchmark name)")
                    }
                    if values.contains(s) { error("\(key)[\(i)]", item.location, "'\(s)' is listed twice") }
                    values.append(s)
                }
            case .map:
                error(key, axis.value.location, "expected a list of values, found a mapping")
            }
            result.append(MatrixAxis(name: axis.key, values: values, location: axis.keyLocation))
        }
        return result
    }

    mutating func targets(_ top: [String: ScenarioEntry], axisNames: Set<String>, matrix: [MatrixAxis], rootLocation: SourceLocation) -> [TargetSpec] {
        switch (top["target"], top["targets"]) {
        case (nil, nil):
            error("target", rootLocation, "missing; say what to measure (`target: { component: broker }` or `target: { command: [...] }`)")
            return []
        case (.some(let t), .some(let ts)):
            error("targets", ts.keyLocation, "give either `target` or `targets`, not both (target is at line \(t.keyLocation.line))")
            return []
        case (.some(let t), nil):
            if axisNames.contains(Scenario.targetAxis) {
                error("matrix.target", matrix.first { $0.name == Scenario.targetAxis }!.location, "the `target` axis selects among `targets:`, but this scenario has a single `target:`")
            }
            return target(t.value, name: "default", key: "target").map { [$0] } ?? []
        case (nil, .some(let ts)):
            guard case .map(let named, _) = ts.value, !named.isEmpty else {
                error("targets", ts.value.location, "expected a mapping of target name → target, found \(ts.value.typeName)")
                return []
            }
            let result = named.compactMap { target($0.value, name: $0.key, key: "targets.\($0.key)") }
            if let axis = matrix.first(where: { $0.name == Scenario.targetAxis }) {
                let names = Set(named.map(\.key))
                for v in axis.values where !names.contains(v) {
                    error("matrix.target", axis.location, "'\(v)' is not one of targets: \(named.map(\.key).joined(separator: ", "))")
                }
            } else if named.count > 1 {
                error("matrix", ts.keyLocation, "with several `targets`, add the matrix axis `target: [\(named.map(\.key).joined(separator: ", "))]` to choose among them")
            }
            return result
        }
    }

    mutating func target(_ value: ScenarioValue, name: String, key: String) -> TargetSpec? {
        guard case .map(let entries, let loc) = value else {
            error(key, value.location, "expected a mapping with `component` or `command`, found \(value.typeName)")
            return nil
        }
        var fields: [String: ScenarioEntry] = [:]
        for e in entries {
            if !ScenarioLoader.targetKeys.contains(e.key) {
                error("\(key).\(e.key)", e.keyLocation, "unknown key; expected one of \(ScenarioLoader.targetKeys.sorted().joined(separator: ", "))")
            } else {
                fields[e.key] = e
            }
        }
        let kind: TargetSpec.Kind
        switch (fields["component"], fields["command"]) {
        case (.some(let c), nil):
            guard let s = c.value.scalar, !s.isEmpty else {
                error("\(key).component", c.value.location, "expected a component name (broker, ...), found \(c.value.typeName)")
                return nil
            }
            kind = .component(s)
        case (nil, .some(let c)):
            guard case .list(let items, _) = c.value, !items.isEmpty else {
                error("\(key).command", c.value.location, "expected the program and its arguments as a list, e.g. [\"nats-server\", \"-p\", \"{port}\"] (no shell is used)")
                return nil
            }
            var argv: [ScenarioField] = []
            for (i, item) in items.enumerated() {
                guard let s = item.scalar else {
                    error("\(key).command[\(i)]", item.location, "expected a string, found \(item.typeName)")
                    continue
                }
                argv.append(ScenarioField(s, at: item.location))
            }
            kind = .command(argv)
        case (.some, .some(let c)):
            error("\(key).command", c.keyLocation, "give either `component` or `command`, not both")
            return nil
        case (nil, nil):
            error(key, loc, "needs `component` (a built-in component) or `command` (an external program's argv)")
            return nil
        }
        return TargetSpec(
            name: name, kind: kind,
            options: stringMap(fields["options"], key: "\(key).options"),
            environment: stringMap(fields["env"], key: "\(key).env"),
            readyTimeout: duration(fields["ready-timeout"], key: "\(key).ready-timeout") ?? 15,
            stopTimeout: duration(fields["stop-timeout"], key: "\(key).stop-timeout") ?? 5,
            nodes: nodeCount(fields["nodes"], kind: kind, key: "\(key).nodes"),
            location: loc)
    }

    mutating func workloads(_ top: [String: ScenarioEntry], matrix: [MatrixAxis], rootLocation: SourceLocation) -> [WorkloadSpec] {
        let axis = matrix.first { $0.name == Scenario.workloadAxis }
        switch (top["workload"], top["workloads"]) {
        case (nil, nil):
            error("workload", rootLocation, "missing; say what load to apply (`workload: { kind: nats.pubsub, ... }`)")
            return []
        case (.some(let w), .some(let ws)):
            error("workloads", ws.keyLocation, "give either `workload` or `workloads`, not both (workload is at line \(w.keyLocation.line))")
            return []
        case (.some(let w), nil):
            if let axis {
                error("matrix.workload", axis.location, "the `workload` axis selects among `workloads:`, but this scenario has a single `workload:`")
            }
            return workload(w.value, name: "default").map { [$0] } ?? []
        case (nil, .some(let ws)):
            guard case .map(let named, _) = ws.value, !named.isEmpty else {
                error("workloads", ws.value.location, "expected a mapping of workload name → workload, found \(ws.value.typeName)")
                return []
            }
            let result = named.compactMap { workload($0.value, name: $0.key) }
            if let axis {
                for v in axis.values where !named.contains(where: { $0.key == v }) {
                    error("matrix.workload", axis.location, "'\(v)' is not one of workloads: \(named.map(\.key).joined(separator: ", "))")
                }
            } else if named.count > 1 {
                error("matrix", ws.keyLocation, "with several `workloads`, add the matrix axis `workload: [\(named.map(\.key).joined(separator: ", "))]` to choose among them")
            }
            return result
        }
    }

    mutating func workload(_ value: ScenarioValue, name: String) -> WorkloadSpec? {
        let prefix = name == "default" ? "workload" : "workloads.\(name)"
        guard case .map(let entries, let loc) = value else {
            error(prefix, value.location, "expected a mapping with `kind` and its parameters, found \(value.typeName)")
            return nil
        }
        var spec = WorkloadSpec(name: name, kind: "", kindLocation: loc, fields: [:], keyLocations: [:])
        for e in entries {
            let key = "\(prefix).\(e.key)"
            if e.key == "kind" {
                guard let s = e.value.scalar else {
                    error(key, e.value.location, "expected a workload kind, found \(e.value.typeName)")
                    continue
                }
                spec.kind = s
                spec.kindLocation = e.value.location
                continue
            }
            spec.keyLocations[e.key] = e.keyLocation
            switch e.value {
            case .scalar(let s, let l):
                spec.fields[e.key] = .scalar(ScenarioField(s, at: l))
            case .list(let items, _):
                var list: [ScenarioField] = []
                for (i, item) in items.enumerated() {
                    guard let s = item.scalar else {
                        error("\(key)[\(i)]", item.location, "expected a single value, found \(item.typeName)")
                        continue
                    }
                    list.append(ScenarioField(s, at: item.location))
                }
                spec.fields[e.key] = .list(list)
            case .map:
                error(key, e.value.location, "expected a value or a list, found a mapping")
            }
        }
        if spec.kind.isEmpty && !entries.contains(where: { $0.key == "kind" }) {
            error("\(prefix).kind", loc, "missing; name the workload kind (see `surge list`)")
        }
        return spec
    }

    mutating func exclude(_ entry: ScenarioEntry?, matrix: [MatrixAxis]) -> [[String: String]] {
        guard let entry else { return [] }
        guard case .list(let items, _) = entry.value else {
            error("exclude", entry.value.location, "expected a list of {parameter: value} mappings, found \(entry.value.typeName)")
            return []
        }
        var result: [[String: String]] = []
        for (i, item) in items.enumerated() {
            guard case .map(let pairs, _) = item, !pairs.isEmpty else {
                error("exclude[\(i)]", item.location, "expected a mapping of parameter → value, found \(item.typeName)")
                continue
            }
            var rule: [String: String] = [:]
            for p in pairs {
                let key = "exclude[\(i)].\(p.key)"
                guard let axis = matrix.first(where: { $0.name == p.key }) else {
                    error(key, p.keyLocation, "'\(p.key)' is not a matrix parameter (\(matrix.map(\.name).joined(separator: ", ")))")
                    continue
                }
                guard let v = p.value.scalar else {
                    error(key, p.value.location, "expected a single value, found \(p.value.typeName)")
                    continue
                }
                if !axis.values.contains(v) {
                    error(key, p.value.location, "'\(v)' is not one of matrix.\(axis.name)'s values (\(axis.values.joined(separator: ", ")))")
                }
                rule[p.key] = v
            }
            result.append(rule)
        }
        return result
    }

    mutating func cpus(_ entry: ScenarioEntry?) -> CPUPinning? {
        guard let entry else { return nil }
        guard case .map(let pairs, _) = entry.value else {
            error("cpus", entry.value.location, "expected { target: [CPU...], load: [CPU...] }, found \(entry.value.typeName)")
            return nil
        }
        var pin = CPUPinning(target: [], load: [])
        for p in pairs {
            let key = "cpus.\(p.key)"
            guard p.key == "target" || p.key == "load" else {
                error(key, p.keyLocation, "unknown key; expected target or load")
                continue
            }
            let items: [ScenarioValue]
            switch p.value {
            case .list(let l, _): items = l
            case .scalar: items = [p.value]
            case .map: error(key, p.value.location, "expected a list of CPU numbers"); continue
            }
            var cpus: [Int] = []
            for item in items {
                guard let s = item.scalar, let n = Int(s), n >= 0 else {
                    error(key, item.location, "expected a CPU number (0, 1, ...), found '\(item.scalar ?? item.typeName)'")
                    continue
                }
                cpus.append(n)
            }
            if p.key == "target" { pin.target = cpus } else { pin.load = cpus }
        }
        return pin
    }

    mutating func thresholds(_ entry: ScenarioEntry?) -> [String: String] {
        guard let entry else { return [:] }
        guard case .map(let pairs, _) = entry.value else {
            error("thresholds", entry.value.location, "expected a mapping of metric → threshold (\"msgs/s\": 3%), found \(entry.value.typeName)")
            return [:]
        }
        var result: [String: String] = [:]
        for p in pairs {
            guard let s = p.value.scalar, Self.parsePercent(s) != nil else {
                error("thresholds.\(p.key)", p.value.location, "expected a percentage like 3% or 0%, found '\(p.value.scalar ?? p.value.typeName)'")
                continue
            }
            result[p.key] = s
        }
        return result
    }

    static func parsePercent(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        let body = t.hasSuffix("%") ? String(t.dropLast()) : t
        guard let v = Double(body), v >= 0 else { return nil }
        return v
    }

    // MARK: placeholders

    mutating func checkPlaceholders(workload: WorkloadSpec, axes: Set<String>) {
        for (key, field) in workload.fields {
            let items: [ScenarioField]
            switch field {
            case .scalar(let f): items = [f]
            case .list(let l): items = l
            }
            for f in items { checkPlaceholders(in: f, key: "\(workload.keyPrefix).\(key)", allowed: axes) }
        }
    }

    mutating func checkPlaceholders(target: TargetSpec, axes: Set<String>) {
        let key = target.name == "default" ? "target" : "targets.\(target.name)"
        for (k, f) in target.options { checkPlaceholders(in: f, key: "\(key).options.\(k)", allowed: axes) }
        let withRuntime = axes.union(ScenarioLoader.runtimePlaceholders)
        for (k, f) in target.environment { checkPlaceholders(in: f, key: "\(key).env.\(k)", allowed: withRuntime) }
        if case .command(let argv) = target.kind {
            for (i, f) in argv.enumerated() { checkPlaceholders(in: f, key: "\(key).command[\(i)]", allowed: withRuntime) }
        }
    }

    mutating func checkPlaceholders(in field: ScenarioField, key: String, allowed: Set<String>) {
        do {
            for name in try Placeholders.names(in: field.text) where !allowed.contains(name) {
                let known = allowed.sorted().joined(separator: ", ")
                error(key, field.location, "unknown placeholder {\(name)}; known here: \(known.isEmpty ? "none (the matrix is empty)" : known)")
            }
        } catch {
            self.error(key, field.location, "\(error)")
        }
    }

    mutating func checkAxesUsed(matrix: [MatrixAxis], targets: [TargetSpec], workloads: [WorkloadSpec], selectors: [String]) {
        var used = Set<String>()
        func collect(_ text: String) { used.formUnion((try? Placeholders.names(in: text)) ?? []) }
        for t in targets {
            t.options.values.forEach { collect($0.text) }
            t.environment.values.forEach { collect($0.text) }
            if case .command(let argv) = t.kind { argv.forEach { collect($0.text) } }
        }
        for f in workloads.flatMap(\.fields.values) {
            switch f {
            case .scalar(let s): collect(s.text)
            case .list(let l): l.forEach { collect($0.text) }
            }
        }
        used.formUnion(selectors)
        for axis in matrix where !used.contains(axis.name) {
            error("matrix.\(axis.name)", axis.location, "is never used: no {\(axis.name)} in the target or the workload, so its cells would all be the same")
        }
    }

    // MARK: scalars

    mutating func string(_ entry: ScenarioEntry?, key: String) -> String? {
        guard let entry else { return nil }
        guard let s = entry.value.scalar else {
            error(key, entry.value.location, "expected a single value, found \(entry.value.typeName)")
            return nil
        }
        return s
    }

    /// `nodes:` of a target: how many processes of a built-in component form it (a mesh).
    mutating func nodeCount(_ entry: ScenarioEntry?, kind: TargetSpec.Kind, key: String) -> Int {
        guard let entry else { return 1 }
        let n = integer(entry, key: key, range: 1...64) ?? 1
        if n > 1, case .command = kind {
            error(key, entry.keyLocation, "only a built-in component (`component:`) can run as several nodes")
        }
        return n
    }

    mutating func integer(_ entry: ScenarioEntry?, key: String, range: ClosedRange<Int>) -> Int? {
        guard let s = string(entry, key: key) else { return nil }
        guard let v = Int(s) else {
            error(key, entry!.value.location, "expected a whole number, found '\(s)'")
            return nil
        }
        guard range.contains(v) else {
            error(key, entry!.value.location, "\(v) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return v
    }

    mutating func duration(_ entry: ScenarioEntry?, key: String) -> Double? {
        guard let s = string(entry, key: key) else { return nil }
        guard let v = Durations.parse(s) else {
            error(key, entry!.value.location, "expected a duration like 10s, 500ms or 2m, found '\(s)'")
            return nil
        }
        return v
    }

    mutating func stringList(_ entry: ScenarioEntry?, key: String) -> [String]? {
        guard let entry else { return nil }
        guard case .list(let items, _) = entry.value else {
            error(key, entry.value.location, "expected a list, found \(entry.value.typeName)")
            return nil
        }
        return items.enumerated().compactMap { i, item in
            guard let s = item.scalar else {
                error("\(key)[\(i)]", item.location, "expected a single value, found \(item.typeName)")
                return nil
            }
            return s
        }
    }

    mutating func stringMap(_ entry: ScenarioEntry?, key: String) -> [String: ScenarioField] {
        guard let entry else { return [:] }
        guard case .map(let pairs, _) = entry.value else {
            error(key, entry.value.location, "expected a mapping of key → value, found \(entry.value.typeName)")
            return [:]
        }
        var result: [String: ScenarioField] = [:]
        for p in pairs {
            guard let s = p.value.scalar else {
                error("\(key).\(p.key)", p.value.location, "expected a single value, found \(p.value.typeName)")
                continue
            }
            result[p.key] = ScenarioField(s, at: p.value.location)
        }
        return result
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
