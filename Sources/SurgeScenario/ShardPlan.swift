/// `--shard i/n`: which slice of a scenario's matrix one CI job runs.
///
/// The split is deterministic (the same cells for the same scenario and `n` on every machine, whatever
/// its clock, locale or speed) and balanced by each cell's expected cost, so the slowest job decides the
/// wall time as little as possible: cells are taken from the most to the least costly (ties by the
/// name's FNV-1a hash, so that cells of equal cost do not go round-robin and line up with a matrix axis,
/// such as all `flush=immediate` cells in one shard) and each goes to the shard with the least cost so
/// far (ties to the lower shard), the longest-processing-time rule. Cost is the warm-up plus
/// repetitions × the length of one measured window: the workload's `duration`, or its
/// `messages`/`requests` count (times `publishers` and `subscribers` where the workload has them, as
/// each subscriber gets every message) at a nominal 100k per second.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    /// 1-based.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws(ShardSpecError) {
        guard count >= 1 else { throw ShardSpecError(text: "\(index)/\(count)", reason: "n must be at least 1") }
        guard (1...count).contains(index) else {
            throw ShardSpecError(text: "\(index)/\(count)", reason: "i must be between 1 and \(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `i/n`, e.g. `2/3`.
    public init(parsing text: String) throws(ShardSpecError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw ShardSpecError(text: text, reason: "expected i/n with whole numbers, e.g. 2/3")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }
}

/// A `--shard` value that is not `i/n` with 1 ≤ i ≤ n.
public struct ShardSpecError: Error, CustomStringConvertible, Sendable {
    public var text: String
    public var reason: String
    public var description: String { "--shard '\(text)': \(reason)" }
}

public enum ShardPlan {
    /// Messages or requests per second assumed for a count-bounded window when estimating its length.
    static let nominalRate = 100_000.0
    /// Window length assumed when the workload gives neither a duration nor a count.
    static let defaultWindow = 10.0

    /// Expected seconds a cell takes: warm-up plus every repetition's window.
    public static func cost(of cell: Cell, in scenario: Scenario) -> Double {
        scenario.warmup + Double(scenario.repetitions) * window(of: cell)
    }

    static func window(of cell: Cell) -> Double {
        if case .scalar(let text)? = cell.workload["duration"], let seconds = Durations.parse(text) { return seconds }
        for key in ["messages", "requests"] {
            if case .scalar(let text)? = cell.workload[key], let n = Double(text) {
                return n * factor("publishers", of: cell) * factor("subscribers", of: cell) / nominalRate
            }
        }
        return defaultWindow
    }

    /// A whole-number workload field as a multiplier of the work (at least 1), or 1 when it is absent.
    static func factor(_ key: String, of cell: Cell) -> Double {
        guard case .scalar(let text)? = cell.workload[key], let n = Double(text) else { return 1 }
        return max(1, n)
    }

    /// FNV-1a of the name: a tie-break that is the same in every process (Swift's `Hasher` is seeded).
    static func stableHash(_ name: String) -> UInt64 {
        name.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// The shard (1-based) of each cell, in the order of `cells`.
    public static func assignment(of cells: [Cell], in scenario: Scenario, shards: Int) -> [Int] {
        let costs = cells.map { cost(of: $0, in: scenario) }
        let hashes = cells.map { stableHash($0.name) }
        let order = cells.indices.sorted { a, b in
            if costs[a] != costs[b] { return costs[a] > costs[b] }
            return hashes[a] != hashes[b] ? hashes[a] < hashes[b] : cells[a].index < cells[b].index
        }
        var load = [Double](repeating: 0, count: max(shards, 1))
        var shardOf = [Int](repeating: 1, count: cells.count)
        for i in order {
            var best = 0
            for s in load.indices where load[s] < load[best] { best = s }
            load[best] += costs[i]
            shardOf[i] = best + 1
        }
        return shardOf
    }

    /// The cells `spec` runs, in matrix order.
    public static func cells(_ cells: [Cell], in scenario: Scenario, for spec: ShardSpec) -> [Cell] {
        let shardOf = assignment(of: cells, in: scenario, shards: spec.count)
        return cells.indices.filter { shardOf[$0] == spec.index }.map { cells[$0] }
    }
}
