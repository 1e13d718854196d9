import SurgeStats

/// The result of comparing benchmark results: benchstat's tables, each for one configuration and
/// one unit, with one row per benchmark and one column per input (or per `-col` value).
public struct ComparisonTables: Sendable {
    /// Names of the table-key fields shown above tables (`goos`, `goarch`, `pkg`, …; no `.unit`).
    public var tableFields: [String]
    public var tables: [ComparisonTable]
    public var alpha: Double
    public var confidence: Double

    public var isEmpty: Bool { tables.isEmpty }
}

public struct ComparisonTable: Sendable {
    /// Value of each of `ComparisonTables.tableFields` for this table.
    public var config: [String]
    /// Tidied unit (`sec/op`, `B/op`, `msgs/s`).
    public var unit: String
    /// Compared exactly (benchstat `assume=exact`; Surge's counted metrics).
    public var exact: Bool
    /// Names of the column-key fields (`.file`, `/flush`).
    public var columnFields: [String]
    /// For each column, the value of each column field.
    public var columns: [[String]]
    /// Row labels (the projected row values joined by spaces: `Encode/format=json-48`).
    public var rows: [String]
    /// `cells[row][column]`; nil where that benchmark has no results in that column.
    public var cells: [[ComparisonCell?]]
    /// Geomean row, one entry per column.
    public var geomean: [ColumnSummary]
}

public struct ComparisonCell: Sendable {
    public var values: [Double]
    public var summary: Summary
    /// Warnings about the sample itself (`benchmarks vary in .fullname`).
    public var sampleWarnings: [String]
    /// Comparison with the baseline (first) column of the same row, when there is one.
    public var comparison: CellComparison?
    /// How the values were measured (Surge inputs: `bpf`, `preload`, …), nil for Go input.
    public var method: String? = nil
}

/// A cell compared with its row's baseline: p-value, sample sizes and benchstat's rendering of both.
public struct CellComparison: Sendable {
    /// Two-sided Mann-Whitney p-value; 0 for exact comparisons (shown without `p=`).
    public var p: Double
    public var n1: Int
    public var n2: Int
    /// Significance level: a change is significant iff `p <= alpha` (0 for exact comparisons).
    public var alpha: Double
    public var baselineCenter: Double
    public var center: Double
    public var warnings: [String]
    /// Set when the two sides were measured by different methods (`uprobe vs preload`): the figures
    /// do not mean the same thing, so the gate does not judge them.
    public var methodMismatch: String? = nil

    /// benchstat's "vs base": `~`, `0.00%`, `?` or `%+.2f%%`; `not comparable` when the methods differ.
    public var deltaText: String {
        if methodMismatch != nil { return "not comparable" }
        if p > alpha { return "~" }
        if baselineCenter == center { return "0.00%" }
        if baselineCenter == 0 { return "?" }
        return GoFloatFormat.signedFixed((center / baselineCenter - 1) * 100, 2) + "%"
    }

    /// `p=0.000 n=10`, `p=0.023 n=10+8`, or `n=1` for exact comparisons.
    public var statText: String {
        if let methodMismatch { return methodMismatch }
        var s = p != 0 ? "p=\(GoFloatFormat.fixed(p, 3)) " : ""
        s += n1 == n2 ? "n=\(n1)" : "n=\(n1)+\(n2)"
        return s
    }

    /// Significant at `alpha` (benchstat prints a delta rather than `~`).
    public var isSignificant: Bool { !(p > alpha) }

    /// Relative change of the center, `new/old − 1` (nil when the baseline center is 0).
    public var relativeChange: Double? {
        if baselineCenter == center { return 0 }
        if baselineCenter == 0 { return nil }
        return center / baselineCenter - 1
    }
}

public struct ColumnSummary: Sendable {
    /// Geomean of the column's centers (nil: some center ≤ 0, see `warnings`).
    public var geomean: Double?
    /// Geomean of center/baseline ratios (non-baseline columns only; nil prints `?`).
    public var ratio: Double?
    public var isBaseline: Bool
    public var present: Bool
    public var warnings: [String]
}
