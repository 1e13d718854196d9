import Foundation

/// The functions whose per-op cost changed most between two profiles: inclusive cost (every stack
/// the function is on, counted once per stack) and self cost (stacks it is the leaf of), A and B.
/// Process-name root frames are left out: they are the totals.
public struct BiggestChanges: Sendable {
    public struct Row: Sendable, Equatable {
        public var function: String
        public var inclusiveA: Double
        public var inclusiveB: Double
        public var selfA: Double
        public var selfB: Double
        public var inclusiveDelta: Double { inclusiveB - inclusiveA }
        public var selfDelta: Double { selfB - selfA }
    }

    public var rows: [Row]
    public var totalA: Double
    public var totalB: Double
    public var unit: String

    public init(a: FoldedStacks, b: FoldedStacks, unit: String) {
        var table: [String: Row] = [:]
        func add(_ stacks: FoldedStacks, isB: Bool) {
            for (stack, value) in stacks.values {
                let frames = stack.split(separator: ";").dropFirst().map(String.init)
                for name in Set(frames) {
                    var row = table[name] ?? Row(function: name, inclusiveA: 0, inclusiveB: 0, selfA: 0, selfB: 0)
                    if isB { row.inclusiveB += value } else { row.inclusiveA += value }
                    table[name] = row
                }
                if let leaf = frames.last, var row = table[leaf] {
                    if isB { row.selfB += value } else { row.selfA += value }
                    table[leaf] = row
                }
            }
        }
        add(a, isB: false)
        add(b, isB: true)
        rows = Array(table.values)
        totalA = a.total
        totalB = b.total
        self.unit = unit
    }

    /// The rows with the largest |Δ| by inclusive or self cost. By inclusive cost, functions on
    /// nearly every stack of both (over 90% of each total: thread entry points, the event loop) are
    /// left out: their change is everything's change and says nothing of where.
    public func top(_ count: Int, bySelf: Bool) -> [Row] {
        let candidates = bySelf ? rows : rows.filter { !($0.inclusiveA > 0.9 * totalA && $0.inclusiveB > 0.9 * totalB) }
        return candidates.sorted {
            let x = bySelf ? abs($0.selfDelta) : abs($0.inclusiveDelta), y = bySelf ? abs($1.selfDelta) : abs($1.inclusiveDelta)
            return x != y ? x > y : $0.function < $1.function
        }.prefix(count).filter { (bySelf ? $0.selfDelta : $0.inclusiveDelta) != 0 }
    }

    /// Markdown: the totals and two tables (by self, by inclusive cost).
    public func markdown(top count: Int = 12) -> String {
        let change = totalA > 0 ? String(format: " (%+.1f%%)", (totalB - totalA) / totalA * 100) : ""
        var out = "Total per op: A \(Self.number(totalA)) → B \(Self.number(totalB)) \(unit)\(change)\n\n"
        for bySelf in [true, false] {
            out += "**Biggest changes by \(bySelf ? "self" : "inclusive") cost** (\(unit)"
                + (bySelf ? ")\n\n" : "; callers of over 90% of both left out)\n\n")
            out += "| function | self A | self B | Δ self | inclusive A | inclusive B | Δ inclusive | Δ inclusive % |\n"
            out += "|---|---:|---:|---:|---:|---:|---:|---:|\n"
            for row in top(count, bySelf: bySelf) {
                let percent = row.inclusiveA > 0 ? String(format: "%+.1f%%", row.inclusiveDelta / row.inclusiveA * 100) : "new"
                let name = row.function.replacingOccurrences(of: "|", with: "\\|")
                out += "| `\(name)` | \(Self.number(row.selfA)) | \(Self.number(row.selfB)) | \(Self.signed(row.selfDelta)) "
                out += "| \(Self.number(row.inclusiveA)) | \(Self.number(row.inclusiveB)) | \(Self.signed(row.inclusiveDelta)) | \(percent) |\n"
            }
            out += "\n"
        }
        return out
    }

    static func number(_ value: Double) -> String { FlameGraphSVG.number(value) }
    static func signed(_ value: Double) -> String { (value > 0 ? "+" : "") + FlameGraphSVG.number(value) }
}
