import SurgeCompare
import SurgeResults
import SurgeStats

/// GitHub-flavoured markdown of a comparison, ready for `$GITHUB_STEP_SUMMARY`: one table per
/// benchstat table (same medians, ± ranges, deltas, `~` and p-values), gate verdicts marked, and the
/// verdict line at the end.
public enum MarkdownRenderer {
    public static func render(_ tables: ComparisonTables, findings: [GateFinding], verdict: String) -> String {
        var out = "## surge compare\n\n"
        if tables.isEmpty { out += "No results to compare.\n\n" }
        var regressionKeys: Set<String> = []
        var improvementKeys: Set<String> = []
        for f in findings {
            let key = "\(f.table)\u{1}\(f.row)\u{1}\(f.column)"
            if f.isRegression { regressionKeys.insert(key) }
            if f.isImprovement { improvementKeys.insert(key) }
        }
        for (ti, table) in tables.tables.enumerated() {
            let config = zip(tables.tableFields, table.config).filter { !$0.1.isEmpty }.map { "\($0.0): `\($0.1)`" }.joined(separator: ", ")
            out += "### \(escape(table.unit))" + (config.isEmpty ? "" : " — \(config)") + "\n\n"
            var header = "| benchmark |"
            var rule = "|---|"
            for (c, col) in table.columns.enumerated() {
                header += " \(escape(col.joined(separator: " "))) |"
                rule += "---:|"
                if c > 0 {
                    header += " vs base | p |"
                    rule += "---:|---|"
                }
            }
            out += header + "\n" + rule + "\n"
            let cls = BenchUnit.classOf(table.unit)
            for (r, label) in table.rows.enumerated() {
                let scaler = ValueScaler.common(table.cells[r].compactMap { $0?.summary.center }, cls)
                var line = "| \(escape(label)) |"
                for (c, cell) in table.cells[r].enumerated() {
                    guard let cell else {
                        line += c > 0 ? "  |  |  |" : "  |"
                        continue
                    }
                    line += " \(scaler.format(cell.summary.center)) ± \(cell.summary.rangeText) |"
                    if c > 0 {
                        if let cmp = cell.comparison {
                            let key = "\(ti)\u{1}\(label)\u{1}\(table.columns[c].joined(separator: " "))"
                            var delta = cmp.deltaText
                            if regressionKeys.contains(key) {
                                delta = "🔴 **\(delta)**"
                            } else if improvementKeys.contains(key) {
                                delta = "🟢 \(delta)"
                            }
                            line += " \(delta) | \(cmp.statText) |"
                        } else {
                            line += "  |  |"
                        }
                    }
                }
                out += line + "\n"
            }
            if table.rows.count > 1 {
                var line = "| *geomean* |"
                for (c, s) in table.geomean.enumerated() {
                    line += " \(s.geomean.map { ValueScaler.scale($0, cls) } ?? "") |"
                    if c > 0 { line += " \(s.ratio.map { GoFloatFormat.signedFixed(($0 - 1) * 100, 2) + "%" } ?? "?") |  |" }
                }
                out += line + "\n"
            }
            out += "\n"
        }
        out += "🔴/🟢: gated metrics (with a threshold) beyond it; other deltas are informational.\n\n"
        out += "**\(escape(verdict))**\n"
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|")
    }
}

