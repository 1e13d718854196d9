import Foundation
import SurgeResults

/// The flame graphs of a run's cells, as links from a report (not inlined: a page of every
/// cell's graphs would be tens of megabytes). Links are file URLs of the files beside the result.
enum ProfileLinks {
    static func context(_ report: RunReport) -> [String: Any] {
        let directory = report.runPath.map { ($0 as NSString).deletingLastPathComponent } ?? "."
        func url(_ path: String) -> String { URL(fileURLWithPath: directory).appendingPathComponent(path).standardized.absoluteString }
        var rows: [[String: Any]] = []
        for cell in report.run.cells {
            for profile in cell.profiles ?? [] {
                let cost = profile.cost.map { String(format: "%.1f%% lower throughput (%.0f vs %.0f op/s)", $0 * 100,
                                                     profile.throughput ?? 0, profile.unprofiledThroughput ?? 0) } ?? "not measured"
                rows.append([
                    "cell": cell.name, "kind": profile.kind, "href": url(profile.svg), "folded": url(profile.perOp ?? profile.folded),
                    "total": profile.totalPerOp.map { String(format: "%.4g ", $0) + profile.unit } ?? "",
                    "named": String(format: "%.1f%%", profile.resolvedShare * 100), "cost": cost,
                ])
            }
        }
        return ["profiles": rows, "hasProfiles": !rows.isEmpty]
    }

    /// Markdown lines: one per profile with its file and cost.
    static func markdown(_ run: RunResult) -> String {
        var out = ""
        for cell in run.cells {
            for profile in cell.profiles ?? [] {
                let cost = profile.cost.map { String(format: "%.1f%%", $0 * 100) } ?? "?"
                out += "| \(cell.name) | \(profile.kind) | [\(profile.svg)](\(profile.svg)) | "
                out += (profile.totalPerOp.map { String(format: "%.4g ", $0) } ?? "") + profile.unit
                out += " | " + String(format: "%.1f%%", profile.resolvedShare * 100) + " | \(cost) |\n"
            }
        }
        return out.isEmpty ? "" : "| cell | profile | flame graph | per op | named | cost |\n|---|---|---|---:|---:|---:|\n" + out
    }
}
