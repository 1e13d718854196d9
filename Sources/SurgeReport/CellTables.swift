import Foundation
import SurgeResults
import SurgeStats

/// The run report's cell tables: one per workload kind, its key metrics as columns (a table that
/// fits 1,400 px), and every other metric of those cells one click away (`others`). Both renderers
/// show these tables; the numbers come from `RunReport.scales`, one format per metric for the page.
public struct CellTables: Sendable {
    /// The cells of one workload kind.
    public struct Group: Sendable {
        /// `nats.pubsub`, `http.closed`, …; for a result file without kinds, what its metrics suggest.
        public var kind: String
        /// The table's heading: the kind, or for a file without kinds the metric the cells were grouped by.
        public var title: String
        public var cells: [CellDigest]
        /// The cells' labels in this table: parameters with one value across the group left out.
        public var labels: [String]
        /// The table's columns: the kind's key metrics that these cells measured.
        public var keyUnits: [String]
        /// Every other metric these cells measured (shown folded).
        public var otherUnits: [String]
        /// What a reader must know to read the latency columns (closed-loop flood, offered rate).
        public var caption: String?
    }

    public var groups: [Group]

    public init(_ digest: RunDigest) {
        // Cells of an older file (no kind recorded) are grouped by what they measured, apart from
        // cells with a recorded kind, and no caption claims how their load was offered.
        var order: [(kind: String, recorded: Bool)] = []
        var byKind: [String: [CellDigest]] = [:]
        for c in digest.okCells {
            let kind = c.workloadKind ?? Self.inferredKind(c)
            let id = (c.workloadKind == nil ? "?" : "") + kind
            if byKind[id] == nil { order.append((kind, c.workloadKind != nil)) }
            byKind[id, default: []].append(c)
        }
        groups = order.map { kind, recorded in
            let cells = byKind[(recorded ? "" : "?") + kind] ?? []
            let measured = MetricFormat.ordered(cells.flatMap { $0.values.keys })
            var key = Self.keyColumns(kind: kind).filter(measured.contains)
            for u in MetricFormat.ordered(cells.flatMap(\.keyMetrics)) where measured.contains(u) && !key.contains(u) {
                key.append(u)
            }
            if key.isEmpty { key = Array(measured.filter { !$0.hasPrefix("syscalls.") }.prefix(6)) }
            let others = measured.filter { !key.contains($0) }
            let title = recorded ? kind : "Cells measuring \(key.first ?? "nothing"), workload kind not recorded"
            return Group(
                kind: kind, title: title, cells: cells, labels: Self.labels(cells), keyUnits: key, otherUnits: others,
                caption: recorded ? Self.caption(kind: kind, cells: cells) : nil)
        }
    }

    /// The fold's summary line: `1 more metric of these cells`, `20 more metrics of these cells`.
    static func moreText(_ n: Int) -> String { "\(n) more metric\(n == 1 ? "" : "s") of these cells" }

    /// The key columns of a workload kind, in table order.
    public static func keyColumns(kind: String) -> [String] {
        let costs = ["cpu-ns/op", "syscalls/op", "allocs/op"]
        switch kind {
        case "nats.pubsub", "nats.pipeline": return ["msgs/s", "p50-ns", "p99-ns"] + costs
        case "nats.request", "http.closed", "http.open": return ["req/s", "p50-ns", "p99-ns"] + costs
        case "mesh.churn": return ["msgs/s", "p99-ns", "discovery-p50-ns", "discovery-p99-ns"] + costs
        default: return ["ns/op"] + costs + ["peak-RSS-B"]
        }
    }

    /// Labels without the parameters every cell of the group shares (the workload, for one).
    static func labels(_ cells: [CellDigest]) -> [String] {
        guard cells.count > 1 else { return cells.map(\.label) }
        let shared = Set(cells[0].parameters.filter { p in cells.allSatisfy { $0.parameters.contains(p) } }.map(\.name))
        return cells.map { c in
            let shown = c.parameters.filter { !shared.contains($0.name) && !c.commonParameters.contains($0.name) }
            return shown.isEmpty ? c.label : shown.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
        }
    }

    /// A kind for a cell of a result file written before kinds were recorded, from what it measured.
    static func inferredKind(_ c: CellDigest) -> String {
        if c.values["discovery-p99-ns"] != nil { return "mesh.churn" }
        if c.values["msgs/s"] != nil { return "nats.pubsub" }
        if c.values["req/s"] != nil { return "nats.request" }
        return "command"
    }

    /// The caption under a kind's table: a closed-loop flood's latency is queueing time.
    static func caption(kind: String, cells: [CellDigest]) -> String? {
        let flooding = cells.filter {
            $0.offeredRate == nil && ($0.values["p50-ns"] != nil || $0.values["p99-ns"] != nil)
        }
        if kind == "nats.pubsub" && !flooding.isEmpty {
            let which =
                flooding.count == cells.count ? "These cells publish" : "\(flooding.count) of these cells publish"
            return "\(which) as fast as the broker takes messages (no `rate:`), so their latency is queueing time "
                + "under saturation, not what a subscriber sees at a given load. For a latency you can act on, give "
                + "the workload a `rate:` (msgs/s per publisher); latency then counts from the intended send time."
        }
        let rates = Set(cells.compactMap(\.offeredRate)).sorted()
        guard !rates.isEmpty else { return nil }
        let text = rates.map { ColumnScale.plain($0, group: true, wholeAsInteger: true) }.joined(separator: ", ")
        switch kind {
        case "http.open": return "Offered load: \(text) req/s in total; latency counts from the intended send time."
        case "nats.pubsub":
            return "Offered load: \(text) msgs/s per publisher; latency counts from the intended send time."
        case "mesh.churn": return "Offered load: \(text) msgs/s per publisher."
        default: return "Offered rate: \(text) per second."
        }
    }
}
