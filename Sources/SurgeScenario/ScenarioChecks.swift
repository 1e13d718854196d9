import Foundation

/// Cross-section checks (placeholders name real axes; every axis is used) and scalar readers.
extension Reader {
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
