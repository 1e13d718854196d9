import Foundation
import SurgeProbes

/// What `surge probe` prints: tables for people, JSON for machines.
struct ProbeReport: Encodable {
    var pid: Int32
    var target: String
    var window: ProbeWindow
    var notices: [String]
    var methods: [ProbeKind: ProbeMethod]
    var exitStatus: Int32?

    static func commandName(_ pid: Int32) -> String {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "pid \(pid)"
    }

    enum CodingKeys: String, CodingKey {
        case pid, target, durationNanoseconds = "duration_ns", totals, methods, latencyHistograms = "latency_histograms_log2_ns", processes, notices, exitStatus = "exit_status"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pid, forKey: .pid)
        try c.encode(target, forKey: .target)
        try c.encode(window.durationNanoseconds, forKey: .durationNanoseconds)
        try c.encode(window.totals, forKey: .totals)
        try c.encode(window.methods, forKey: .methods)
        if !window.latencyHistograms.isEmpty { try c.encode(window.latencyHistograms, forKey: .latencyHistograms) }
        if !window.processes.isEmpty {
            let byPid = Dictionary(uniqueKeysWithValues: window.processes.map { (String($0.key), $0.value) })
            try c.encode(byPid, forKey: .processes)
        }
        try c.encode(notices, forKey: .notices)
        try c.encodeIfPresent(exitStatus, forKey: .exitStatus)
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func table(top: Int) -> String {
        let t = window.totals
        var lines: [String] = []
        let seconds = Double(window.durationNanoseconds) / 1e9
        lines.append("pid \(pid) (\(target)), window \(String(format: "%.3f", seconds)) s")
        if let method = methods[.syscalls], t.keys.contains(where: { $0.hasPrefix("syscalls") }) {
            lines.append("")
            let timed = methods[.syscallLatency] != nil
            lines.append(row("SYSCALLS (\(method.rawValue))", "COUNT", timed ? "TOTAL µs" : "", timed ? "AVG ns" : ""))
            let rows = t.filter { $0.key.hasPrefix("syscalls.") }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            for (key, count) in rows.prefix(top) {
                let name = String(key.dropFirst("syscalls.".count))
                let ns = t["syscall-ns.\(name)"]
                lines.append(row("  " + name, integer(count), ns.map { String(format: "%.1f", $0 / 1000) } ?? "",
                                 ns.map { integer($0 / max(count, 1)) } ?? ""))
            }
            if rows.count > top { lines.append("  … \(rows.count - top) more") }
            if let total = t["syscalls"] { lines.append(row("  total", integer(total), "", "")) }
        } else if let ns = t["syscall-ns"] {
            lines.append("")
            lines.append(row("SYSCALL TIME (bpf)", "", "\(integer(ns / 1000)) µs", ""))
        }
        if let method = methods[.allocations], t["allocs"] != nil {
            lines.append("")
            lines.append(row("ALLOCATIONS (\(method.rawValue))", "CALLS", "BYTES", ""))
            for function in AllocationProbe.functions where function != "free" {
                guard let calls = t["allocs.\(function)"] else { continue }
                lines.append(row("  " + function, integer(calls), integer(t["alloc-bytes.\(function)"] ?? 0), ""))
            }
            if let frees = t["frees"] { lines.append(row("  free", integer(frees), "", "")) }
            lines.append(row("  total allocating calls", integer(t["allocs"] ?? 0), integer(t["alloc-bytes"] ?? 0), ""))
        }
        if ["cpu-ns", "peak-RSS-B", "ctxsw-voluntary", "page-faults-minor"].contains(where: { t[$0] != nil }) || exitStatus != nil {
            lines.append("")
            lines.append("PROCESS (proc)")
        }
        if let cpu = t["cpu-ns"] {
            lines.append(row("  cpu", String(format: "%.3f ms", cpu / 1e6),
                             t["cpu-user-ns"].map { String(format: "user %.3f ms", $0 / 1e6) } ?? "",
                             t["cpu-sys-ns"].map { String(format: "sys %.3f ms", $0 / 1e6) } ?? ""))
        }
        if let peak = t["peak-RSS-B"] { lines.append(row("  peak RSS", String(format: "%.1f MiB", peak / 1_048_576), "", "")) }
        if let voluntary = t["ctxsw-voluntary"] {
            lines.append(row("  context switches", integer(t["ctxsw"] ?? voluntary), "voluntary \(integer(voluntary))",
                             "involuntary \(integer(t["ctxsw-involuntary"] ?? 0))"))
        }
        if let minor = t["page-faults-minor"] {
            lines.append(row("  page faults", integer(minor + (t["page-faults-major"] ?? 0)), "minor \(integer(minor))",
                             "major \(integer(t["page-faults-major"] ?? 0))"))
        }
        if let threads = t["threads"] { lines.append(row("  threads", integer(threads), "", "")) }
        if let processes = t["processes"], processes > 1 { lines.append(row("  processes", integer(processes), "", "")) }
        if let exitStatus { lines.append(row("  exit status", "\(exitStatus)", "", "")) }
        if window.processes.count > 1 {
            lines.append("")
            lines.append(row("PER PROCESS", "SYSCALLS", "ALLOCS", "CPU ms"))
            for (member, figures) in window.processes.sorted(by: { $0.key < $1.key }) {
                lines.append(row("  pid \(member)", figures["syscalls"].map(integer) ?? "", figures["allocs"].map(integer) ?? "",
                                 figures["cpu-ns"].map { String(format: "%.3f", $0 / 1e6) } ?? ""))
            }
        }
        if !notices.isEmpty {
            lines.append("")
            lines.append("NOTES")
            for notice in notices { lines.append("  - " + notice) }
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
        func pad(_ s: String, _ width: Int, left: Bool) -> String {
            s.count >= width ? s : (left ? s + String(repeating: " ", count: width - s.count) : String(repeating: " ", count: width - s.count) + s)
        }
        return (pad(a, 30, left: true) + pad(b, 14, left: false) + pad(c, 18, left: false) + pad(d, 20, left: false))
            .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }

    private func integer(_ value: Double) -> String { String(Int64(value.rounded())) }
}
