import Foundation

/// The differential of two folded profiles of one kind: B's flame graph coloured by the per-op
/// change from A (red grew, blue shrank) and the biggest changes by self and inclusive cost.
/// `surge profile diff` and the `ab`, `compare` and `report` reports draw it the same way.
public struct ProfileDiff: Sendable {
    public var a: FoldedStacks
    public var b: FoldedStacks
    /// The unit both files are in (`cpu-ns/op`, `B/op`, ...).
    public var unit: String
    public var changes: BiggestChanges

    /// Fails when the two files are in different units (a per-op file against a raw one, or two kinds).
    public init(a: FoldedStacks, b: FoldedStacks, pathA: String, pathB: String) throws(ProfileError) {
        let unitA = a.headerValue("unit") ?? ""
        let unitB = b.headerValue("unit") ?? ""
        if unitA != unitB {
            throw .notComparable("\(pathA) is in '\(unitA)' and \(pathB) in '\(unitB)'")
        }
        self.a = a
        self.b = b
        unit = unitB.isEmpty ? "count" : unitB
        changes = BiggestChanges(a: a, b: b, unit: unit)
    }

    /// Reads both files (per-op files, so runs of different length line up).
    public static func read(_ pathA: String, _ pathB: String) throws(ProfileError) -> ProfileDiff {
        try ProfileDiff(a: FoldedStacks.read(pathA), b: FoldedStacks.read(pathB), pathA: pathA, pathB: pathB)
    }

    /// The total's relative change, `+12.3%`, or nil when A's total is 0.
    public var totalChangeText: String? {
        a.total > 0 ? String(format: "%+.1f%%", (b.total - a.total) / a.total * 100) : nil
    }

    /// The largest change by inclusive cost (callers of nearly everything left out) and by self
    /// cost, one line each: what to look at first.
    public var biggestChangeLines: [String]? {
        func describe(_ row: BiggestChanges.Row?, bySelf: Bool) -> String? {
            guard let row else { return nil }
            let (a, b) = bySelf ? (row.selfA, row.selfB) : (row.inclusiveA, row.inclusiveB)
            let name = row.function.count > 70 ? String(row.function.prefix(69)) + "…" : row.function
            return "\(name) \(BiggestChanges.signed(b - a)) \(unit) (\(BiggestChanges.number(a)) → "
                + "\(BiggestChanges.number(b)))"
        }
        let top = changes.top(1, bySelf: false).first
        var inclusive = describe(top, bySelf: false).map { "largest change, inclusive: \($0)" }
        if let top, let specific = concentration(of: top), specific.function != top.function {
            inclusive? +=
                ", \(Int((specific.inclusiveDelta / top.inclusiveDelta * 100).rounded()))% of it in "
                + (describe(specific, bySelf: false) ?? "")
        }
        let parts = [
            inclusive,
            describe(changes.top(1, bySelf: true).first, bySelf: true).map { "largest change, self: \($0)" },
        ].compactMap { $0 }
        return parts.isEmpty ? nil : parts
    }

    /// The most specific function carrying most (80%) of `top`'s inclusive change: the frames from
    /// the event loop's tick down to the function that changed all move together, and the one with
    /// the least cost of its own stacks (the deepest of the chain, as a rule) says where.
    func concentration(of top: BiggestChanges.Row) -> BiggestChanges.Row? {
        changes.rows.filter {
            $0.inclusiveDelta * top.inclusiveDelta > 0 && abs($0.inclusiveDelta) >= 0.8 * abs(top.inclusiveDelta)
        }
        .min { ($0.inclusiveA + $0.inclusiveB, $0.function) < ($1.inclusiveA + $1.inclusiveB, $1.function) }
    }

    /// The SVG: B's shape (A's with `shapeIsA`), titled `title` (default: the files' subjects).
    public func svg(title: String? = nil, shapeIsA: Bool = false) -> String {
        let subjectA = a.headerValue("subject") ?? "A"
        let subjectB = b.headerValue("subject") ?? "B"
        let kind = b.headerValue("kind").map { "\($0) " } ?? ""
        let perOp = unit.hasSuffix("/op") ? "per op" : "raw (not normalised per op)"
        let total = totalChangeText.map { ", total \($0)" } ?? ""
        var graph = FlameGraphSVG(
            title: title ?? "\(kind)differential: B \(subjectB) vs A \(subjectA)",
            subtitle: "width: \(shapeIsA ? "A" : "B"), \(unit) \(perOp); colour: change from A to B, "
                + "red grew, blue shrank\(total)",
            unit: unit)
        graph.shapeIsA = shapeIsA
        graph.note = biggestChangeLines
        return shapeIsA ? graph.render(a, baseline: b) : graph.render(b, baseline: a)
    }
}
