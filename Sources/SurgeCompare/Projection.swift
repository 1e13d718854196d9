import SurgeResults

/// A user error in a projection or filter expression (`-row`, `-col`, `-table`, `-ignore`, `-filter`).
public struct ExpressionError: Error, CustomStringConvertible, Sendable {
    public var flag: String
    public var message: String
    public var description: String { "parsing \(flag): \(message)" }
}

/// How the values of one projected field are ordered (benchproc `@order`).
enum FieldOrder {
    /// Order of first observation (the default).
    case first
    case alpha
    case num
    /// `@(v1 v2 …)`: this order, and only these values.
    case fixed([String: Int])
}

/// One field of a projection: where its value comes from and how values sort.
final class ProjectionField {
    enum Source {
        case name
        case fullname
        case namePart(String)
        case file
        case config(String)
        case unit
    }

    let name: String
    let source: Source
    let order: FieldOrder
    let index: Int
    var observed: [String: Int] = [:]

    init(name: String, source: Source, order: FieldOrder, index: Int) {
        self.name = name
        self.source = source
        self.order = order
        self.index = index
    }

    func compare(_ a: String, _ b: String) -> Int {
        switch order {
        case .first: return (observed[a] ?? 0) - (observed[b] ?? 0)
        case .alpha: return a == b ? 0 : (Self.byteLess(a, b) ? -1 : 1)
        case .num: return Self.numericCompare(a, b)
        case .fixed(let map): return (map[a] ?? 0) - (map[b] ?? 0)
        }
    }

    static func byteLess(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    static func numericCompare(_ a: String, _ b: String) -> Int {
        let x = parseNumber(a)
        let y = parseNumber(b)
        switch (x, y) {
        case let (x?, y?):
            if x < y || (!x.isNaN && y.isNaN) { return -1 }
            if x > y || (x.isNaN && !y.isNaN) { return 1 }
            return 0
        case (nil, nil): return 0
        case (_?, nil): return -1
        case (nil, _?): return 1
        }
    }

    /// benchproc's fuzzy number parser: a float, or digits with an SI/IEC prefix (`2k`, `1Mi`, `4KiB`).
    static func parseNumber(_ s: String) -> Double? {
        if let v = Double(s) { return v }
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count && !(("0"..."9").contains(scalars[i]) || scalars[i] == ".") { i += 1 }
        var j = i
        while j < scalars.count && (("0"..."9").contains(scalars[j]) || scalars[j] == ".") { j += 1 }
        guard j > i, let v = Double(String(String.UnicodeScalarView(scalars[i..<j]))) else { return nil }
        let prefixes = Array("KMGTPEZY".unicodeScalars)
        var exponent = 0
        var iec = false
        if j < scalars.count {
            var p = scalars[j]
            if p == "k" { p = "K" }
            if let idx = prefixes.firstIndex(of: p) {
                exponent = idx + 1
                if j + 1 < scalars.count && scalars[j + 1] == "i" { iec = true }
            }
        }
        return v * pow(iec ? 1024 : 1000, Double(exponent))
    }
}

/// A projection of benchmark records to keys (benchproc `Projection`): which fields make a table,
/// a row or a column, interned so equal keys share an id, with observation order tracked for the
/// fields that sort by first sight.
final class Projection {
    enum Top {
        case field(ProjectionField)
        /// `.config`: all file configuration keys not named elsewhere; sub-fields appear as seen.
        case configGroup
    }

    private(set) var top: [Top] = []
    private(set) var fields: [ProjectionField] = []
    private var configFields: [ProjectionField] = []
    private var configSeen: [String: ProjectionField] = [:]
    private var configOrder: FieldOrder = .first
    private unowned let parser: ProjectionParser
    private(set) var unitField: ProjectionField?

    private var keyIDs: [[String]: Int] = [:]
    private(set) var keyValues: [[String]] = []

    init(parser: ProjectionParser) {
        self.parser = parser
    }

    func addField(name: String, source: ProjectionField.Source, order: FieldOrder) -> ProjectionField {
        let field = ProjectionField(name: name, source: source, order: order, index: fields.count)
        fields.append(field)
        top.append(.field(field))
        flattenedCache = nil
        return field
    }

    func addConfigGroup(order: FieldOrder) {
        configOrder = order
        top.append(.configGroup)
        flattenedCache = nil
    }

    func addUnitField() {
        unitField = addField(name: ".unit", source: .unit, order: .first)
    }

    private var flattenedCache: [ProjectionField]?

    /// Fields in sort (and display) order, `.config` expanded into its keys.
    var flattened: [ProjectionField] {
        if let cached = flattenedCache { return cached }
        let out = computeFlattened()
        flattenedCache = out
        return out
    }

    private func computeFlattened() -> [ProjectionField] {
        var out: [ProjectionField] = []
        for t in top {
            switch t {
            case .field(let f): out.append(f)
            case .configGroup: out.append(contentsOf: configFields)
            }
        }
        return out
    }

    /// Whether any field reads the benchmark name (otherwise a record's row depends only on its
    /// file and configuration, and `row` memoizes it).
    lazy var dependsOnName: Bool = top.contains { t in
        guard case .field(let f) = t else { return false }
        switch f.source {
        case .name, .fullname, .namePart: return true
        default: return false
        }
    }

    private var memoFile = ""
    private var memoConfig: [BenchConfigEntry] = []
    private var memoRow: [String]?

    /// The projected values of a record (unit field left empty). The part that does not depend on
    /// the benchmark name (configuration, file) is memoized per configuration array.
    func row(_ record: BenchRecord) -> [String] {
        var base: [String]
        if let memo = memoRow, record.file == memoFile, Self.sameStorage(record.config, memoConfig) {
            base = memo
        } else {
            base = computeRow(record)
            memoFile = record.file
            memoConfig = record.config
            memoRow = base
        }
        if dependsOnName {
            for t in top {
                guard case .field(let f) = t else { continue }
                switch f.source {
                case .name, .fullname, .namePart: base[f.index] = extract(f.source, record)
                default: break
                }
            }
        }
        return base
    }

    static func sameStorage(_ a: [BenchConfigEntry], _ b: [BenchConfigEntry]) -> Bool {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress && pa.count == pb.count } }
    }

    private func computeRow(_ record: BenchRecord) -> [String] {
        var row = [String](repeating: "", count: fields.count)
        for t in top {
            switch t {
            case .field(let f):
                switch f.source {
                case .unit, .name, .fullname, .namePart: continue
                default: row[f.index] = extract(f.source, record)
                }
            case .configGroup:
                for entry in record.config {
                    var field = configSeen[entry.key]
                    if field == nil {
                        if parser.configKeys.contains(entry.key) { continue }
                        let f = ProjectionField(name: entry.key, source: .config(entry.key), order: configOrder, index: fields.count)
                        fields.append(f)
                        configFields.append(f)
                        configSeen[entry.key] = f
                        flattenedCache = nil
                        row.append("")
                        field = f
                    }
                    if let field { row[field.index] = entry.value }
                }
            }
        }
        return row
    }

    func extract(_ source: ProjectionField.Source, _ record: BenchRecord) -> String {
        switch source {
        case .name: return BenchName.base(record.name)
        case .fullname: return parser.fullname(record.name)
        case .namePart(let key): return BenchName.part(record.name, key: key)
        case .file: return record.file
        case .config(let key): return record.configValue(key) ?? ""
        case .unit: return ""
        }
    }

    /// Interns a row as a key id; a new key records first observations of its top-level values.
    func intern(_ row: [String]) -> Int {
        var end = row.count
        while end > 0 && row[end - 1].isEmpty { end -= 1 }
        let trimmed = end == row.count ? row : Array(row[..<end])
        if let id = keyIDs[trimmed] { return id }
        for t in top {
            guard case .field(let f) = t, case .first = f.order else { continue }
            let value = f.index < trimmed.count ? trimmed[f.index] : ""
            if f.observed[value] == nil { f.observed[value] = f.observed.count }
        }
        let id = keyValues.count
        keyIDs[trimmed] = id
        keyValues.append(trimmed)
        return id
    }

    func value(_ key: Int, _ field: ProjectionField) -> String {
        let values = keyValues[key]
        return field.index < values.count ? values[field.index] : ""
    }

    /// Values joined by spaces, empty ones left out (benchproc `Key.StringValues`).
    func stringValues(_ key: Int) -> String {
        flattened.map { value(key, $0) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    func less(_ a: Int, _ b: Int) -> Bool {
        for field in flattened {
            let x = value(a, field)
            let y = value(b, field)
            if x != y {
                let c = field.compare(x, y)
                if c != 0 { return c < 0 }
                return ProjectionField.byteLess(x, y)
            }
        }
        return false
    }

    /// Sorts keys as `less` would, by first ranking each field's distinct values once.
    func sorted(_ keys: [Int]) -> [Int] {
        if keys.count < 2 { return keys }
        let flat = flattened
        if flat.count == 1, let field = flat.first, case .first = field.order {
            // One field in observation order (the default row and column): every value was observed
            // when its key was interned, so the observation index alone orders the keys.
            let ranked = keys.map { ($0, field.observed[value($0, field)] ?? 0) }
            return ranked.sorted { a, b in
                a.1 != b.1 ? a.1 < b.1 : ProjectionField.byteLess(value(a.0, field), value(b.0, field))
            }.map(\.0)
        }
        var ranks = [[Int]](repeating: [], count: keys.count)
        for field in flat {
            var distinct: [String: Int] = [:]
            for k in keys { distinct[value(k, field), default: 0] = 0 }
            let ordered: [String]
            switch field.order {
            case .first, .fixed:
                // Integer ranks (observation or fixed order), ties broken byte-wise.
                let rank: (String) -> Int
                if case .fixed(let map) = field.order { rank = { map[$0] ?? 0 } } else { rank = { field.observed[$0] ?? 0 } }
                ordered = distinct.keys.map { ($0, rank($0)) }.sorted { a, b in
                    a.1 != b.1 ? a.1 < b.1 : ProjectionField.byteLess(a.0, b.0)
                }.map(\.0)
            case .alpha, .num:
                ordered = distinct.keys.sorted { a, b in
                    let c = field.compare(a, b)
                    if c != 0 { return c < 0 }
                    return ProjectionField.byteLess(a, b)
                }
            }
            for (i, v) in ordered.enumerated() { distinct[v] = i }
            for (i, k) in keys.enumerated() { ranks[i].append(distinct[value(k, field)] ?? 0) }
        }
        let order = keys.indices.sorted { ranks[$0].lexicographicallyPrecedes(ranks[$1]) }
        return order.map { keys[$0] }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
