import Foundation
import SurgeCompare
import SurgeProfile
import SurgeResults
import SurgeStats

/// One cell's differential profile of one kind between two runs: B's flame graph coloured by the
/// per-op change from A, and the functions whose cost changed most.
public struct CellProfileDiff: Sendable {
    /// The cell's name in the result files.
    public var cell: String
    /// `cpu`, `off-cpu` or `allocations`.
    public var kind: String
    public var diff: ProfileDiff
    /// The per-op files compared, as the result files reference them (resolved to paths).
    public var pathA: String
    public var pathB: String
    /// The differential flame graph in B's shape (what B spends, red where it grew), relative to
    /// the report directory, once written.
    public var svgFile: String?
    /// The same in A's shape (what A spent: what B no longer does shows, blue).
    public var svgFileShapeA: String?
    /// The significant changes of the cell's metrics the graph explains (`msgs/s -31.2% REGRESSION`).
    public var changes: [String]
    /// What profiling cost each side's throughput (`ProfileReference.costText`).
    public var costA: String?
    public var costB: String?
}

/// The differential profiles of two runs' cells (`surge ab --profile`, `compare` and `report` of two
/// runs with profiles): for every cell both runs profiled with the same kind, read from the per-op
/// files beside the result files. Cells whose profiles cannot be read or compared are notes.
public enum ProfileDiffs {
    /// Rows of biggest-changes tables in reports.
    public static let tableRows = 8

    /// The diffs of the cells in `cells` (all when nil); `changes` gives each cell's significant
    /// changes (empty when none), shown beside its graph.
    public static func build(
        a: RunResult, aPath: String, b: RunResult, bPath: String, cells: Set<String>? = nil,
        changes: (String) -> [String] = { _ in [] }
    ) -> (diffs: [CellProfileDiff], notes: [String]) {
        var diffs: [CellProfileDiff] = []
        var notes: [String] = []
        for cellA in a.cells where cells?.contains(cellA.name) ?? true {
            guard let cellB = b.cells.first(where: { $0.name == cellA.name }) else { continue }
            for profileA in cellA.profiles ?? [] {
                guard let profileB = cellB.profiles?.first(where: { $0.kind == profileA.kind }) else { continue }
                let fileA = resolve(profileA.perOp ?? profileA.folded, beside: aPath)
                let fileB = resolve(profileB.perOp ?? profileB.folded, beside: bPath)
                do {
                    let diff = try ProfileDiff.read(fileA, fileB)
                    diffs.append(
                        CellProfileDiff(
                            cell: cellA.name, kind: profileA.kind, diff: diff, pathA: fileA, pathB: fileB,
                            changes: changes(cellA.name), costA: profileA.costText, costB: profileB.costText))
                } catch {
                    notes.append("\(cellA.name): no \(profileA.kind) differential: \(error)")
                }
            }
        }
        return (diffs, notes)
    }

    /// The cells of `run` with a gated regression or improvement among `findings` (compare's rows
    /// are benchmark names), and those changes (`msgs/s -12.30% REGRESSION`), by cell name.
    public static func significantChanges(_ findings: [GateFinding], in run: RunResult) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for f in findings where f.isRegression || f.isImprovement {
            guard let cell = run.cells.first(where: { RunResultRecords.benchmarkName($0) == f.row || $0.name == f.row })
            else { continue }
            let change = f.change.map { $0.isFinite ? GoFloatFormat.signedFixed($0 * 100, 2) + "% " : "" } ?? ""
            out[cell.name, default: []].append("\(f.unit) \(change)\(f.isRegression ? "REGRESSION" : "improvement")")
        }
        return out
    }

    /// Writes each diff's SVGs into `directory`: `profile-diff-<cell>.<kind>.svg` in B's shape and
    /// `….shape-a.svg` in A's (a flame graph only shows what its shape spends: what B stopped doing
    /// is invisible in B's), and records their names.
    public static func writeSVGs(_ diffs: inout [CellProfileDiff], to directory: String) throws {
        for i in diffs.indices {
            let d = diffs[i]
            let stem = "profile-diff-\(ChartSpec.slug(name(d.cell))).\(d.kind)"
            let title = "\(d.kind) differential of \(name(d.cell)): B against A, per op"
            try AtomicFile.write(Data(d.diff.svg(title: title).utf8), to: "\(directory)/\(stem).svg")
            try AtomicFile.write(
                Data(d.diff.svg(title: title + " (A's shape)", shapeIsA: true).utf8),
                to: "\(directory)/\(stem).shape-a.svg")
            diffs[i].svgFile = "\(stem).svg"
            diffs[i].svgFileShapeA = "\(stem).shape-a.svg"
        }
    }

    /// A cell's name as rows show it (without `Benchmark`).
    static func name(_ cell: String) -> String { cell.hasPrefix("Benchmark") ? String(cell.dropFirst(9)) : cell }

    static func heading(_ d: CellProfileDiff) -> String {
        let total = d.diff.totalChangeText.map { ", total \($0)" } ?? ""
        let why = d.changes.isEmpty ? "" : " — " + d.changes.joined(separator: "; ")
        return "\(name(d.cell)): \(d.kind) per op, A \(number(d.diff.a.total)) → B \(number(d.diff.b.total)) "
            + "\(d.diff.unit)\(total)\(why)"
    }

    /// `throughput with the profiler attached: A -3.1% (...), B +0.4% (...)`, or nil.
    static func costLine(_ d: CellProfileDiff) -> String? {
        guard d.costA != nil || d.costB != nil else { return nil }
        return "throughput with the \(d.kind) profiler attached: A \(d.costA ?? "not measured"), "
            + "B \(d.costB ?? "not measured")"
    }

    /// Plain text: per diff its heading and the biggest changes by self cost.
    public static func text(_ diffs: [CellProfileDiff], top: Int = 5) -> String {
        guard !diffs.isEmpty else { return "" }
        var out = "\nprofiles, B against A (biggest changes by self cost per op):\n"
        for d in diffs {
            out += "  " + heading(d) + "\n"
            for row in d.diff.changes.top(top, bySelf: true) {
                out +=
                    "    \(signed(row.selfDelta)) \(d.diff.unit)  \(row.function)  "
                    + "(self \(number(row.selfA)) → \(number(row.selfB)), inclusive \(number(row.inclusiveA)) → "
                    + "\(number(row.inclusiveB)))\n"
            }
            if let svg = d.svgFile { out += "    differential flame graph: \(svg)" }
            if let svg = d.svgFileShapeA { out += " (A's shape: \(svg))" }
            if d.svgFile != nil { out += "\n" }
            if let cost = costLine(d) { out += "    \(cost)\n" }
        }
        return out
    }

    /// Markdown: per diff a heading, the graph's link and the biggest-changes tables.
    public static func markdown(_ diffs: [CellProfileDiff]) -> String {
        guard !diffs.isEmpty else { return "" }
        var out = "\n## Profiles: where B differs from A\n"
        for d in diffs {
            out += "\n### " + heading(d).replacingOccurrences(of: "|", with: "\\|") + "\n\n"
            if let svg = d.svgFile {
                out += "Differential flame graph (red grew, blue shrank): [\(svg)](\(svg))"
                if let a = d.svgFileShapeA { out += "; in A's shape, where what B no longer does shows: [\(a)](\(a))" }
                out += "\n\n"
            }
            if let cost = costLine(d) { out += "\(cost.prefix(1).uppercased() + cost.dropFirst()).\n\n" }
            out += d.diff.changes.markdown(top: tableRows)
        }
        return out
    }

    /// HTML: per diff a heading, the graph (embedded as an image: it keeps its own script for zoom
    /// when opened alone, linked) and the biggest-changes table by self and inclusive cost.
    public static func html(_ diffs: [CellProfileDiff]) -> String {
        guard !diffs.isEmpty else { return "" }
        var out = "<h2>Profiles: where B differs from A</h2>\n"
        for d in diffs {
            out += "<h3>\(esc(heading(d)))</h3>\n"
            let graphs = [
                (d.svgFile, "B's shape: what B spends, coloured by the change from A (red grew, blue shrank)"),
                (d.svgFileShapeA, "A's shape: what A spent, where what B no longer does shows"),
            ]
            for case (let svg?, let caption) in graphs {
                out +=
                    "<figure><a href=\"\(esc(svg))\"><img src=\"\(esc(svg))\" style=\"max-width:100%\" "
                    + "alt=\"\(esc(d.kind)) differential flame graph\"></a><figcaption>\(esc(caption)); "
                    + "<a href=\"\(esc(svg))\">open \(esc(svg))</a> for tooltips and click-to-zoom"
                    + "</figcaption></figure>\n"
            }
            if let cost = costLine(d) { out += "<p>\(esc(cost))</p>\n" }
            for bySelf in [true, false] {
                out +=
                    "<table><caption>biggest changes by \(bySelf ? "self" : "inclusive") cost "
                    + "(\(esc(d.diff.unit)))</caption>\n"
                out +=
                    "<tr><th>function</th><th>self A</th><th>self B</th><th>Δ self</th>"
                    + "<th>inclusive A</th><th>inclusive B</th><th>Δ inclusive</th></tr>\n"
                for r in d.diff.changes.top(tableRows, bySelf: bySelf) {
                    let cls = (bySelf ? r.selfDelta : r.inclusiveDelta) > 0 ? "regression" : "improvement"
                    out += "<tr class=\"\(cls)\"><td><code>\(esc(r.function))</code></td>"
                    out += [r.selfA, r.selfB].map { "<td class=\"n\">\(number($0))</td>" }.joined()
                    out += "<td class=\"n\">\(signed(r.selfDelta))</td>"
                    out += [r.inclusiveA, r.inclusiveB].map { "<td class=\"n\">\(number($0))</td>" }.joined()
                    out += "<td class=\"n\">\(signed(r.inclusiveDelta))</td></tr>\n"
                }
                out += "</table>\n"
            }
        }
        return out
    }

    /// `section` placed before the page's closing `</body>` (at the end when it has none).
    public static func inserting(_ section: String, into page: String) -> String {
        guard !section.isEmpty else { return page }
        guard let end = page.range(of: "</body>", options: .backwards) else { return page + section }
        return page.replacingCharacters(in: end.lowerBound..<end.lowerBound, with: section)
    }

    /// A result file's reference resolved against the file's directory.
    static func resolve(_ reference: String, beside resultPath: String) -> String {
        if reference.hasPrefix("/") { return reference }
        return ((resultPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(reference)
    }

    static func number(_ v: Double) -> String {
        if v == 0 { return "0" }
        return abs(v) >= 100 ? String(format: "%.0f", v) : String(format: "%.3g", v)
    }

    static func signed(_ v: Double) -> String { (v > 0 ? "+" : "") + number(v) }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
