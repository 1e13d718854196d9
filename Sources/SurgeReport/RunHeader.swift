import Foundation
import SurgeResults
import SurgeStats

/// The top of a run report: what was measured and where (scenario, host, cores, load before and
/// after, kernel, Surge version, commit, probe methods by family) and how noisy it was: warnings
/// when the load average exceeded the cores, when a key metric's interval is wider than ±20% of its
/// median, or when the figures come from a debug build.
public struct RunHeader: Sendable {
    /// (label, value) rows, in reading order.
    public var facts: [(label: String, value: String)]
    /// Why the figures may be noisier than they look; empty for a quiet run.
    public var warnings: [String]

    /// An interval wider than this fraction of the median (either side) is called wide.
    public static let wideInterval = 0.20

    public init(_ report: RunReport) {
        let r = report.run
        var facts: [(label: String, value: String)] = []
        var scenario = r.scenario.name
        if let d = r.scenario.description, !d.isEmpty { scenario += " — " + d }
        facts.append(("Scenario", scenario))
        facts.append(
            ("Host", "\(r.host.hostname): \(r.host.cpuModel), \(r.host.cores) core\(r.host.cores == 1 ? "" : "s")"))
        var load = "before " + Self.loadText(r.host.loadAverage)
        load += "; after " + (r.host.loadAverageAfter.map(Self.loadText) ?? "not recorded")
        facts.append(("Load average", load + " (1, 5, 15 min)"))
        facts.append(("Kernel", r.host.kernel))
        facts.append(("Surge", "\(r.host.surgeVersion) (\(r.host.buildConfig) build)"))
        facts.append(("Commit", r.source.map { $0.commit + ($0.dirty ? " (dirty working tree)" : "") } ?? "unknown"))
        facts.append(("Probes", Self.probeText(r)))
        var when = ISO8601DateFormatter().string(from: r.startedAt)
        if let end = r.finishedAt { when += ", \(GoFloatFormat.fixed(end.timeIntervalSince(r.startedAt), 0)) s" }
        facts.append(("Run", "\(r.runID) (\(when), \(r.status.rawValue))"))
        self.facts = facts
        warnings = Self.warnings(report)
    }

    static func loadText(_ load: [Double]) -> String {
        load.isEmpty ? "unknown" : load.map { GoFloatFormat.fixed($0, 2) }.joined(separator: " ")
    }

    /// The probe family a metric belongs to (`syscalls/op` → `syscalls`); nil for the driver's figures.
    static func family(_ metric: String) -> String? {
        let m = Metric.canonicalName(metric)
        if m.hasPrefix("syscall-") { return "syscall latency" }
        if m.hasPrefix("syscalls") { return "syscalls" }
        if m == "allocs/op" || m == "frees/op" || m == "B/op" { return "allocations" }
        if m.hasPrefix("cpu-") { return "cpu" }
        if m.hasSuffix("RSS-B") || m.hasPrefix("page-faults") { return "memory" }
        if m == "ctxsw/op" { return "context switches" }
        if m == "threads" { return "threads" }
        return nil
    }

    /// `syscalls: bpf · allocations: preload (2 cells), uprobe (profile pass) (2 cells) · cpu: proc`.
    static func probeText(_ r: RunResult) -> String {
        // family → method → cells using it
        var uses: [String: [String: Int]] = [:]
        var order: [String] = []
        for cell in r.cells where cell.status == .ok {
            let methods = cell.probeMethods ?? r.probeMethods
            var seen: [String: Set<String>] = [:]
            for (metric, method) in methods {
                guard let f = family(metric) else { continue }
                seen[f, default: []].insert(method)
            }
            for (f, ms) in seen {
                if uses[f] == nil { order.append(f) }
                for m in ms { uses[f, default: [:]][m, default: 0] += 1 }
            }
        }
        let families = ["syscalls", "allocations", "cpu", "memory", "context switches", "threads", "syscall latency"]
        let sorted = order.sorted { (families.firstIndex(of: $0) ?? 99, $0) < (families.firstIndex(of: $1) ?? 99, $1) }
        guard !sorted.isEmpty else { return "none (driver figures only)" }
        let cells = r.cells.filter { $0.status == .ok }.count
        return sorted.map { f in
            let methods = (uses[f] ?? [:]).sorted { $0.key < $1.key }
            let text = methods.map { m, n in
                methods.count == 1 && n == cells ? m : "\(m) (\(n) cell\(n == 1 ? "" : "s"))"
            }
            return "\(f): " + text.joined(separator: ", ")
        }.joined(separator: " · ")
    }

    static func warnings(_ report: RunReport) -> [String] {
        let host = report.run.host
        var out: [String] = []
        let before = host.loadAverage.first
        let after = host.loadAverageAfter?.first
        let cores = Double(max(host.cores, 1))
        if (before ?? 0) > cores || (after ?? 0) > cores {
            let parts = [
                before.map { "\(GoFloatFormat.fixed($0, 2)) before the run" },
                after.map { "\(GoFloatFormat.fixed($0, 2)) after it" },
            ].compactMap { $0 }
            out.append(
                "Load average \(parts.joined(separator: " and ")) on \(host.cores) core\(host.cores == 1 ? "" : "s"): "
                    + "other work competed for the CPUs, so these figures are noisier than the machine allows. "
                    + "Run again on a quiet machine before trusting a difference.")
        }
        if host.buildConfig == "debug" {
            out.append(
                "Measured with a debug build of Surge: the load generator is slower than a release build's, "
                    + "so the figures say little about the target (build with swift build -c release).")
        }
        var wide: [String] = []
        for group in report.cellTables.groups {
            for c in group.cells {
                let key = c.keyMetrics.isEmpty ? group.keyUnits : c.keyMetrics
                let metrics = key.compactMap { u -> String? in
                    guard let s = c.summaries[u], let w = ColumnScale.relativeWidth(s), w > wideInterval else {
                        return nil
                    }
                    return "\(u) ±\(GoFloatFormat.fixed(w * 100, 0))%"
                }
                if !metrics.isEmpty { wide.append("\(c.label): " + metrics.joined(separator: ", ")) }
            }
        }
        if !wide.isEmpty {
            let shown = wide.prefix(8).joined(separator: "; ") + (wide.count > 8 ? "; and \(wide.count - 8) more cells" : "")
            out.append(
                "Wide intervals (wider than ±\(GoFloatFormat.fixed(wideInterval * 100, 0))% of the median) "
                    + "on key metrics: \(shown). A change smaller than the interval cannot be told from noise.")
        }
        return out
    }
}
