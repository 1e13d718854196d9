/// A parsed, checked scenario file: a target (or several named ones), a workload, a load matrix
/// and how to measure. `ScenarioLoader` builds it; `Scenario.cells()` expands the matrix.
public struct Scenario: Sendable {
    public var name: String
    public var description: String?
    /// The path the scenario was loaded from, as given.
    public var file: String
    /// SHA-256 of the file's bytes, hex.
    public var sha256: String
    /// The targets, by name. A scenario with a single `target:` has one, named `default`; one with
    /// `targets:` picks among them with the matrix axis `target`.
    public var targets: [TargetSpec]
    /// The workloads. A scenario with a single `workload:` has one, named `default`; one with
    /// `workloads:` picks among them with the matrix axis `workload`.
    public var workloads: [WorkloadSpec]
    /// Matrix axes in file order.
    public var matrix: [MatrixAxis]
    /// Parameter combinations to leave out: a cell is excluded when it matches every pair of one entry.
    public var exclude: [[String: String]]
    /// Unmeasured load before the first repetition of each cell, in seconds.
    public var warmup: Double
    public var repetitions: Int
    public var cpus: CPUPinning?
    /// Probe names as written (`syscalls`, `allocations`, `cpu`, `memory`, ...).
    public var probes: [String]
    public var probesLocation: SourceLocation
    /// Stack profiles taken per cell in the profile pass (`cpu`, `off-cpu`, `allocations`), as written.
    public var profile: [String] = []
    public var profileLocation: SourceLocation = .unknown
    /// Metric → threshold as written (`"3%"`).
    public var thresholds: [String: String]
    /// A visit that takes longer than this (seconds; the visit that starts the target includes its
    /// start and warm-up) fails the cell as hung.
    public var cellTimeout: Double
    /// The order of visits (`order:`); `surge run --order` overrides it.
    public var order: RunOrder = .sequential
    /// `target-lifetime:` as written; nil: `run` for sequential order, `visit` otherwise.
    public var targetLifetime: TargetLifetime? = nil
    /// `build:`: how `rev:` builds a team's own server (`{build}` in target commands).
    public var build: BuildSpec? = nil

    /// The matrix key that selects among `targets`.
    public static let targetAxis = "target"
    /// The matrix key that selects among `workloads`.
    public static let workloadAxis = "workload"

    /// Workload kinds used, in order, without repeats.
    public var workloadKinds: [String] {
        workloads.map(\.kind).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    /// `BrokerFanout` for a scenario named `broker-fanout`.
    public var benchmarkName: String {
        let parts = name.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        let camel = parts.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return "Benchmark" + (camel.isEmpty ? "Scenario" : camel)
    }
}

/// What `surge run` starts and measures.
public struct TargetSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A built-in component, run as `surge serve <name>`.
        case component(String)
        /// An external program's argv, started without a shell. `{port}` is replaced by a free port.
        case command([ScenarioField])
        /// No target: the workload runs its own processes (`command`), which are what is measured.
        case workloadOwned
    }

    public var name: String
    public var kind: Kind
    /// Component switches (`flush: batched`), possibly with `{placeholders}`.
    public var options: [String: ScenarioField]
    /// Extra environment variables for the target process.
    public var environment: [String: ScenarioField]
    /// Seconds to wait for the ready line (components) or the port to accept (commands).
    public var readyTimeout: Double
    /// Seconds from SIGTERM to SIGKILL when stopping the target.
    public var stopTimeout: Double
    /// Processes of the component that form the target (`nodes: 5` starts a five-node mesh); 1 by default.
    public var nodes: Int = 1
    public var location: SourceLocation
}

/// A string from the scenario that may hold `{placeholders}`, with where it was written.
public struct ScenarioField: Sendable, Equatable {
    public var text: String
    public var location: SourceLocation

    public init(_ text: String, at location: SourceLocation = .unknown) {
        self.text = text
        self.location = location
    }
}

/// The `workload:` section: its kind and the other fields, unparsed (the workload parses them).
public struct WorkloadSpec: Sendable {
    public enum Field: Sendable, Equatable {
        case scalar(ScenarioField)
        case list([ScenarioField])

        public var location: SourceLocation {
            switch self {
            case .scalar(let f): return f.location
            case .list(let items): return items.first?.location ?? .unknown
            }
        }
    }

    /// `default` for a scenario's single `workload:`, else its key under `workloads:`.
    public var name: String
    public var kind: String
    public var kindLocation: SourceLocation
    public var fields: [String: Field]
    /// Where each field's key was written, for "unknown key" errors.
    public var keyLocations: [String: SourceLocation]
    /// `target:` inside the workload: the name of the entry of `targets:` this workload runs against, so a
    /// scenario can mix workloads of different protocols without a `target` axis (smoke.yaml does).
    public var target: ScenarioField? = nil

    /// How errors name this workload's keys: `workload` or `workloads.<name>`.
    public var keyPrefix: String { name == "default" ? "workload" : "workloads.\(name)" }
}

/// One axis of the load matrix: a parameter and the values it takes, in file order.
public struct MatrixAxis: Sendable, Equatable {
    public var name: String
    public var values: [String]
    public var location: SourceLocation
}

/// CPUs to pin the target and the load generator to (`cpus: { target: [0], load: [1] }`).
public struct CPUPinning: Sendable, Equatable {
    public var target: [Int]
    public var load: [Int]
}
