import Foundation

/// The scenario file's sections: matrix, targets, workloads, exclude, cpus, thresholds.
extension Reader {
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

    mutating func targets(
        _ top: [String: ScenarioEntry], axisNames: Set<String>, matrix: [MatrixAxis], rootLocation: SourceLocation,
        workloads: [WorkloadSpec] = []
    ) -> [TargetSpec] {
        let workloadKinds = workloads.map(\.kind)
        let placed = workloads.filter { $0.target != nil }
        switch (top["target"], top["targets"]) {
        case (nil, nil) where !workloadKinds.isEmpty && workloadKinds.allSatisfy({ $0 == ScenarioLoader.selfMeasuredKind }):
            for w in placed {
                error("\(w.keyPrefix).target", w.target!.location, "names a target, but this scenario has no `targets:`")
            }
            return [
                TargetSpec(
                    name: "default", kind: .workloadOwned, options: [:], environment: [:], readyTimeout: 0,
                    stopTimeout: 5, location: rootLocation)
            ]
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
            for w in placed {
                error(
                    "\(w.keyPrefix).target", w.target!.location,
                    "names one of `targets:`, but this scenario has a single `target:` (line \(t.keyLocation.line)); "
                        + "remove it, or list the targets under `targets:`")
            }
            return target(t.value, name: "default", key: "target").map { [$0] } ?? []
        case (nil, .some(let ts)):
            guard case .map(let named, _) = ts.value, !named.isEmpty else {
                error("targets", ts.value.location, "expected a mapping of target name → target, found \(ts.value.typeName)")
                return []
            }
            let result = named.compactMap { target($0.value, name: $0.key, key: "targets.\($0.key)") }
            let names = named.map(\.key)
            for w in placed where !names.contains(w.target!.text) {
                error(
                    "\(w.keyPrefix).target", w.target!.location,
                    "'\(w.target!.text)' is not one of targets: \(names.joined(separator: ", "))")
            }
            let unplaced = workloads.filter { $0.target == nil && $0.kind != ScenarioLoader.selfMeasuredKind }
            if let axis = matrix.first(where: { $0.name == Scenario.targetAxis }), let w = placed.first {
                error(
                    "matrix.target", axis.location,
                    "the workloads name their own targets (\(w.keyPrefix).target at line \(w.target!.location.line)); "
                        + "remove the `target` axis, or the workloads' `target:`")
            } else if !placed.isEmpty, let w = unplaced.first {
                error(
                    "\(w.keyPrefix).target", w.kindLocation,
                    "missing; when some workloads name their target, every workload must (one of \(names.joined(separator: ", ")))")
            } else if !placed.isEmpty {
                return result
            } else if let axis = matrix.first(where: { $0.name == Scenario.targetAxis }) {
                for v in axis.values where !names.contains(v) {
                    error("matrix.target", axis.location, "'\(v)' is not one of targets: \(names.joined(separator: ", "))")
                }
            } else if named.count > 1 {
                error(
                    "matrix", ts.keyLocation,
                    "with several `targets`, add the matrix axis `target: [\(names.joined(separator: ", "))]` "
                        + "to choose among them, or give each workload its `target:`")
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
            if e.key == "target" {
                guard let s = e.value.scalar, !s.isEmpty else {
                    error(key, e.value.location, "expected the name of one of `targets:`, found \(e.value.typeName)")
                    continue
                }
                spec.target = ScenarioField(s, at: e.value.location)
                continue
            }
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
            case .map(let pairs, _) where e.key == "env":
                // `env: { NAME: value }` becomes the list `NAME=value`, in file order.
                var list: [ScenarioField] = []
                for pair in pairs {
                    guard let s = pair.value.scalar else {
                        error("\(key).\(pair.key)", pair.value.location, "expected a single value, found \(pair.value.typeName)")
                        continue
                    }
                    list.append(ScenarioField("\(pair.key)=\(s)", at: pair.value.location))
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
}
