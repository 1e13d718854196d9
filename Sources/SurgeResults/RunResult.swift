import Foundation

/// One run of one scenario: every cell of its matrix and every repetition measured, plus what is
/// needed to trust and repeat the figures (host, source commit, target, probe methods).
///
/// Encoded as JSON with schema `surge.run/v1` (see `RunResultCodec`). A run that was interrupted
/// or whose cells failed is still a valid result: `status` and each cell's `status` say so.
public struct RunResult: Codable, Sendable, Equatable {
    public static let currentSchema = "surge.run/v1"

    public var schema: String
    /// Unique id, also the file name stem: `20261126T104600Z-smoke`.
    public var runID: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: RunStatus
    public var scenario: ScenarioInfo
    public var source: SourceInfo?
    public var host: HostInfo
    public var target: TargetInfo
    /// Metric name → method that measured it (`driver`, `stats`, `bpf`, `perf`, `proc`, `preload`, `uprobe`).
    public var probeMethods: [String: String]
    /// Things the run wants its reader to know (a probe that could not attach, a fallback taken).
    public var notes: [String]
    public var cells: [CellResult]
    /// Set when this file holds one slice of a sharded run (`surge run --shard i/n`).
    public var shard: ShardRecord?
    /// Set when `surge merge` joined this run from shards: which shard ran which cell.
    public var merge: MergeManifest?
    /// How the run ordered its visits (absent in files written before schedules existed: sequential).
    public var schedule: ScheduleRecord?
    /// Set on both result files of a `surge ab`: which side this is, the other file, the pairing.
    public var ab: ABRecord?

    public init(
        runID: String, startedAt: Date, scenario: ScenarioInfo, source: SourceInfo?, host: HostInfo,
        target: TargetInfo, cells: [CellResult] = []
    ) {
        self.schema = Self.currentSchema
        self.runID = runID
        self.startedAt = startedAt
        self.finishedAt = nil
        self.status = .running
        self.scenario = scenario
        self.source = source
        self.host = host
        self.target = target
        self.probeMethods = [:]
        self.notes = []
        self.cells = cells
    }
}

public enum RunStatus: String, Codable, Sendable {
    /// Still being written (a file left in this state means the runner was killed).
    case running
    /// Every cell was attempted.
    case complete
    /// Stopped early (Ctrl-C); cells not reached are `skipped`.
    case interrupted
}

public struct ScenarioInfo: Codable, Sendable, Equatable {
    public var name: String
    public var file: String
    /// SHA-256 of the scenario file's bytes, hex.
    public var sha256: String
    public var description: String?
    /// Metric → threshold text as the scenario wrote it (`"3%"`).
    public var thresholds: [String: String]

    public init(name: String, file: String, sha256: String, description: String? = nil, thresholds: [String: String] = [:]) {
        self.name = name
        self.file = file
        self.sha256 = sha256
        self.description = description
        self.thresholds = thresholds
    }
}

public struct SourceInfo: Codable, Sendable, Equatable {
    public var commit: String
    public var dirty: Bool

    public init(commit: String, dirty: Bool) {
        self.commit = commit
        self.dirty = dirty
    }
}

/// The machine a run was measured on. Two runs compare cleanly only when their fingerprints match.
public struct HostInfo: Codable, Sendable, Equatable {
    public var hostname: String
    public var cpuModel: String
    public var cores: Int
    public var kernel: String
    /// 1, 5 and 15 minute load averages just before the run started.
    public var loadAverage: [Double]
    /// 1, 5 and 15 minute load averages when the run finished (absent in files written before it
    /// was recorded, and in a file still being written).
    public var loadAverageAfter: [Double]?
    public var surgeVersion: String
    /// `debug` or `release`: the build configuration of the surge binary that ran.
    public var buildConfig: String

    public init(
        hostname: String, cpuModel: String, cores: Int, kernel: String, loadAverage: [Double],
        loadAverageAfter: [Double]? = nil, surgeVersion: String, buildConfig: String
    ) {
        self.hostname = hostname
        self.cpuModel = cpuModel
        self.cores = cores
        self.kernel = kernel
        self.loadAverage = loadAverage
        self.loadAverageAfter = loadAverageAfter
        self.surgeVersion = surgeVersion
        self.buildConfig = buildConfig
    }

    /// What must be equal for two runs' figures to be comparable.
    public var fingerprint: String {
        "\(cpuModel) | \(cores) cores | kernel \(kernel) | surge \(surgeVersion) | \(buildConfig)"
    }
}

public struct TargetInfo: Codable, Sendable, Equatable {
    /// `component` (built in, served by `surge serve`) or `command` (an external program).
    public var kind: String
    /// For built-in components: `broker`, `http`, ...
    public var component: String?
    /// The argv as written in the scenario (placeholders unresolved).
    public var command: [String]?
    /// What the target says its version is, when known.
    public var version: String?

    public init(kind: String, component: String? = nil, command: [String]? = nil, version: String? = nil) {
        self.kind = kind
        self.component = component
        self.command = command
        self.version = version
    }
}

/// One cell of the matrix: one combination of parameter values.
public struct CellResult: Codable, Sendable, Equatable {
    /// How the `reason` of a cell cut short by the run's interruption begins
    /// (`interrupted (SIGTERM) after 3 of 6 repetitions`); `surge ab` still compares its complete rounds.
    public static let interruptedReasonPrefix = "interrupted ("

    /// Go benchmark name: `BenchmarkBrokerFanout/publishers=1/subscribers=8/payload=16`.
    public var name: String
    /// Matrix parameters in the scenario's order.
    public var parameters: [CellParameter]
    public var status: CellStatus
    /// Why the cell failed or was skipped.
    public var reason: String?
    /// The last lines the target wrote to standard error, when the cell failed.
    public var targetStderr: [String]?
    /// Metric → method that measured it in this cell (`bpf`, `perf`, `preload`, `uprobe (profile pass)`, …).
    /// Absent in files written before it existed; then the run's `probeMethods` stands for every cell.
    public var probeMethods: [String: String]?
    /// The metrics the cell's workload kind is judged by → the threshold it gates them at by default
    /// (`"msgs/s": "5%"`); the scenario's `thresholds:`, `--threshold` and a calibration take precedence.
    public var keyMetrics: [String: String]?
    /// The workload kind that measured the cell (`nats.pubsub`, `http.closed`, `mesh.churn`, `command`, …).
    /// Absent in files written before it was recorded.
    public var workloadKind: String?
    /// The workload's `rate:` as resolved for this cell (its default when the kind has one), in the
    /// kind's own terms: msgs/s per publisher for `nats.pubsub` and `mesh.churn`, total req/s for
    /// `http.open`. Absent for a closed-loop workload (as fast as it can) and in older files.
    public var offeredRate: Double?
    public var samples: [Sample]
    /// The host this cell ran on, when it differs from the run's: a merged run whose shards ran on
    /// machines with different fingerprints.
    public var host: HostInfo?
    /// Stack profiles of the cell's profile pass (files beside the result file); absent when none.
    public var profiles: [ProfileReference]?

    public init(name: String, parameters: [CellParameter], status: CellStatus = .ok, reason: String? = nil, samples: [Sample] = []) {
        self.name = name
        self.parameters = parameters
        self.status = status
        self.reason = reason
        self.targetStderr = nil
        self.probeMethods = nil
        self.keyMetrics = nil
        self.workloadKind = nil
        self.offeredRate = nil
        self.samples = samples
        self.profiles = nil
    }

    public func parameter(_ key: String) -> String? {
        parameters.first { $0.name == key }?.value
    }

    /// The method that measured `metric` in this cell: the cell's own record, else the run's.
    public func method(of metric: String, run: RunResult) -> String? {
        probeMethods?[metric] ?? run.probeMethods[metric]
    }
}

public struct CellParameter: Codable, Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

public enum CellStatus: String, Codable, Sendable {
    case ok, failed, skipped
}

/// One measured repetition of a cell: what one measurement window saw.
public struct Sample: Codable, Sendable, Equatable {
    /// 1-based repetition number within its pass.
    public var repetition: Int
    /// `speed` (driver figures and cheap probes) or `profile` (costly probes, own repetitions).
    public var pass: String
    /// Operations in the window: messages delivered (or published with no subscribers), requests answered.
    public var operations: Int
    public var elapsedSeconds: Double
    /// Metric (Go benchmark unit) → value.
    public var metrics: [String: Double]
    /// End-to-end latency histogram (ns), HdrHistogram V2 encoding, base64.
    public var latencyHistogram: String?
    /// The target's own counters over the window (deltas), from its stats endpoint.
    public var targetCounters: [String: Double]?
    /// The position of this sample's visit in the run's schedule (1-based, over every cell and side).
    public var visit: Int?
    /// The target's process ids during the window (one per node): a fresh target has new ones.
    public var processIDs: [Int32]?

    public init(repetition: Int, pass: String = "speed", operations: Int, elapsedSeconds: Double, metrics: [String: Double], latencyHistogram: String? = nil, targetCounters: [String: Double]? = nil) {
        self.repetition = repetition
        self.pass = pass
        self.operations = operations
        self.elapsedSeconds = elapsedSeconds
        self.metrics = metrics
        self.latencyHistogram = latencyHistogram
        self.targetCounters = targetCounters
    }
}
