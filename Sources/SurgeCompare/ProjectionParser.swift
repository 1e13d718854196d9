import SurgeResults

/// Parses the group of projections of one comparison (`-table`, `-row`, `-col`, `-ignore`), so that
/// keys named in any of them are left out of `.config` and `.fullname` in the others (benchproc
/// `ProjectionParser`).
final class ProjectionParser {
    private(set) var configKeys: Set<String> = []
    private(set) var fullnameKeys: [String] = []
    private(set) var haveConfig = false
    private(set) var haveFullname = false
    /// Fixed orders (`@(a b)`) also filter: field source → allowed values.
    private(set) var fixedFilters: [(ProjectionField.Source, Set<String>)] = []
    private var fullnameCache: [String: String] = [:]
    private var fullnameRule: (deleting: [String], excludeName: Bool, excludeGomaxprocs: Bool)?

    func parse(_ text: String, flag: String, withUnit: Bool = false) throws(ExpressionError) -> Projection {
        let projection = Projection(parser: self)
        for spec in try Self.split(text, flag: flag) {
            try add(spec, to: projection, flag: flag)
        }
        if withUnit { projection.addUnitField() }
        return projection
    }

    /// Every field no projection names: `.config` and `.fullname` minus the named keys.
    func residue() -> Projection {
        let projection = Projection(parser: self)
        if !haveConfig { projection.addConfigGroup(order: .first) }
        if !haveFullname { _ = projection.addField(name: ".fullname", source: .fullname, order: .first) }
        return projection
    }

    func fullname(_ name: String) -> String {
        if fullnameRule == nil {
            let deleting = fullnameKeys.filter { $0.hasPrefix("/") }.map { $0 + "=" }
            fullnameRule = (deleting, fullnameKeys.contains(".name"), fullnameKeys.contains("/gomaxprocs"))
        }
        guard let rule = fullnameRule, rule.excludeName || !rule.deleting.isEmpty || rule.excludeGomaxprocs else { return name }
        if let hit = fullnameCache[name] { return hit }
        let value = BenchName.fullExcluding(name, deleting: rule.deleting, excludeName: rule.excludeName, excludeGomaxprocs: rule.excludeGomaxprocs)
        fullnameCache[name] = value
        return value
    }

    struct Spec {
        var key: String
        var order: FieldOrder
    }

    private func add(_ spec: Spec, to projection: Projection, flag: String) throws(ExpressionError) {
        switch spec.key {
        case ".config":
            if case .fixed = spec.order { throw ExpressionError(flag: flag, message: "fixed order not allowed for .config") }
            haveConfig = true
            projection.addConfigGroup(order: spec.order)
        case ".fullname":
            haveFullname = true
            let f = projection.addField(name: ".fullname", source: .fullname, order: spec.order)
            addFixedFilter(f)
        case ".unit":
            throw ExpressionError(flag: flag, message: ".unit is only allowed in filters")
        case "":
            throw ExpressionError(flag: flag, message: "key must not be empty")
        default:
            let source: ProjectionField.Source
            if spec.key == ".name" {
                fullnameKeys.append(spec.key)
                source = .name
            } else if spec.key.hasPrefix("/") {
                fullnameKeys.append(spec.key)
                source = .namePart(spec.key)
            } else if spec.key == ".file" {
                configKeys.insert(spec.key)
                source = .file
            } else {
                configKeys.insert(spec.key)
                source = .config(spec.key)
            }
            let f = projection.addField(name: spec.key, source: source, order: spec.order)
            addFixedFilter(f)
        }
    }

    private func addFixedFilter(_ field: ProjectionField) {
        if case .fixed(let map) = field.order { fixedFilters.append((field.source, Set(map.keys))) }
    }

    /// Splits `a,b @alpha c@(x y)` into keys with orders; keys may be double-quoted.
    static func split(_ text: String, flag: String) throws(ExpressionError) -> [Spec] {
        var specs: [Spec] = []
        let chars = Array(text)
        var i = 0
        func skipSeparators() { while i < chars.count && (chars[i] == "," || chars[i].isWhitespace) { i += 1 } }
        func word() throws(ExpressionError) -> String {
            if i < chars.count && chars[i] == "\"" {
                var out = ""
                i += 1
                while i < chars.count && chars[i] != "\"" {
                    if chars[i] == "\\" && i + 1 < chars.count { i += 1 }
                    out.append(chars[i])
                    i += 1
                }
                guard i < chars.count else { throw ExpressionError(flag: flag, message: "missing end quote") }
                i += 1
                return out
            }
            var out = ""
            while i < chars.count && !(chars[i] == "," || chars[i].isWhitespace || chars[i] == "@" || chars[i] == "(" || chars[i] == ")") {
                out.append(chars[i])
                i += 1
            }
            return out
        }
        skipSeparators()
        while i < chars.count {
            let key = try word()
            if key.isEmpty { throw ExpressionError(flag: flag, message: "expected key at offset \(i)") }
            var order = FieldOrder.first
            if i < chars.count && chars[i] == "@" {
                i += 1
                if i < chars.count && chars[i] == "(" {
                    i += 1
                    var values: [String: Int] = [:]
                    while true {
                        skipSeparators()
                        guard i < chars.count else { throw ExpressionError(flag: flag, message: "missing )") }
                        if chars[i] == ")" { i += 1; break }
                        let v = try word()
                        if v.isEmpty { throw ExpressionError(flag: flag, message: "unexpected \(chars[i])") }
                        if values[v] == nil { values[v] = values.count }
                    }
                    order = .fixed(values)
                } else {
                    let name = try word()
                    switch name {
                    case "alpha": order = .alpha
                    case "num": order = .num
                    case "first": order = .first
                    default: throw ExpressionError(flag: flag, message: "unknown order \"\(name)\"")
                    }
                }
            }
            specs.append(Spec(key: key, order: order))
            skipSeparators()
        }
        return specs
    }
}
