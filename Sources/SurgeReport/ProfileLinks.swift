import Foundation
import SurgeResults

/// The flame graphs of a run's cells, as links from a report (not inlined: a page of every
/// cell's graphs would be tens of megabytes). Links are file URLs of the files beside the result.
enum ProfileLinks {
    static func url(_ path: String, _ report: RunReport) -> String {
        let directory = report.runPath.map { ($0 as NSString).deletingLastPathComponent } ?? "."
        return URL(fileURLWithPath: directory).appendingPathComponent(path).standardized.absoluteString
    }

    static func context(_ report: RunReport) -> [String: Any] {
        func url(_ path: String) -> String { Self.url(path, report) }
        var rows: [[String: Any]] = []
        for cell in report.run.cells {
            for profile in cell.profiles ?? [] {
                let cost = profile.costText.map {
                    String(format: "%.0f op/s profiled vs %.0f unprofiled: ", profile.throughput ?? 0,
                           profile.unprofiledThroughput ?? 0) + $0
                } ?? "not measured"
                rows.append([
                    "cell": cell.name, "kind": profile.kind, "href": url(profile.svg), "folded": url(profile.perOp ?? profile.folded),
                    "total": profile.totalPerOp.map { String(format: "%.4g ", $0) + profile.unit } ?? "",
                    "named": String(format: "%.1f%%", profile.resolvedShare * 100), "cost": cost,
                ])
            }
        }
        return ["profiles": rows, "hasProfiles": !rows.isEmpty]
    }

    /// Markdown lines: one per profile with its file and cost (throughput lost to profiling).
    static func markdown(_ report: RunReport) -> String {
        var out = ""
        for cell in report.run.cells {
            for profile in cell.profiles ?? [] {
                let cost = profile.costText ?? "?"
                let name = (profile.svg as NSString).lastPathComponent
                out += "| \(cell.name) | \(profile.kind) | [\(name)](\(url(profile.svg, report))) | "
                out += (profile.totalPerOp.map { String(format: "%.4g ", $0) } ?? "") + profile.unit
                out += " | " + String(format: "%.1f%%", profile.resolvedShare * 100) + " | \(cost) |\n"
            }
        }
        return out.isEmpty ? "" : "| cell | profile | flame graph | per op | named | throughput profiled vs not |\n|---|---|---|---:|---:|---:|\n" + out
    }
}
