import Histogram
import NIOCore

/// Where a workload sends its load: one address per target process (a mesh has several).
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// What one run of a workload is asked to do.
public enum WorkloadPhase: Sendable, Equatable {
    /// Unmeasured load for this many seconds, to warm caches, JITs and connection pools.
    case warmup(seconds: Double)
    /// The measured repetition: the amount of work the scenario's `messages`, `requests` or `duration` says.
    case measure
}

/// Called by a running workload with the fraction of the phase done (0...1), at most a few times a second.
public typealias ProgressHandler = @Sendable (Double) -> Void

/// A kind of load (`nats.pubsub`, `http.closed`, ...). A type conforming to this is registered in
/// `WorkloadRegistry`; the runner builds one value per matrix cell from the cell's resolved parameters.
///
/// The lifecycle per cell is: `init(parameters:)` (validates) → `makeSession` (connects; not measured)
/// → `run(.warmup)` → probes snapshot → `run(.measure)` → probes snapshot → repeat `run(.measure)` per
/// repetition → `close()`. Only `run(.measure)` lies inside a measurement window.
public protocol Workload: Sendable {
    /// The `workload.kind` a scenario names, for example `nats.pubsub`.
    static var kind: String { get }
    /// One line for `surge list`.
    static var summary: String { get }
    /// Every key this workload accepts besides `kind`; the scenario validator rejects others.
    static var parameters: [ParameterSpec] { get }
    /// The metrics this kind is judged by, with default thresholds: they gate a comparison when the
    /// scenario, the command line and a calibration name no threshold for them.
    static var keyMetrics: [KeyMetric] { get }

    /// Builds the workload from a cell's parameters (placeholders already substituted).
    /// Throws `WorkloadParameterError` naming the key that is wrong.
    init(parameters: WorkloadParameters) throws

    /// Opens connections and prepares everything that must not be measured.
    func makeSession(endpoints: [Endpoint], group: any EventLoopGroup) async throws -> any WorkloadSession
}

extension Workload {
    public static var keyMetrics: [KeyMetric] { [] }
}

/// A metric a workload kind judges a run by, with the threshold it gates at when neither the scenario,
/// the command line nor a calibration says otherwise.
public struct KeyMetric: Sendable, Hashable {
    public var name: String
    /// Fraction: 0.05 for 5%.
    public var threshold: Double

    public init(_ name: String, threshold: Double) {
        self.name = name
        self.threshold = threshold
    }

    /// `5%` as scenarios write thresholds.
    public var thresholdText: String {
        let percent = threshold * 100
        return percent == percent.rounded() ? "\(Int(percent))%" : "\(percent)%"
    }
}

/// A connected workload, reused for warm-up and every repetition of one cell.
public protocol WorkloadSession: AnyObject, Sendable {
    /// Runs one phase and returns what was measured. Throws only when the load could not be
    /// applied at all (connection refused, protocol error); lost or duplicated messages are
    /// reported in `WorkloadOutcome.failures`, and the runner fails the cell with them.
    func run(_ phase: WorkloadPhase, progress: @escaping ProgressHandler) async throws -> WorkloadOutcome
    /// Closes every connection. Called once, also after a failure.
    func close() async
}

/// What one phase of a workload measured.
public struct WorkloadOutcome: Sendable {
    /// Operations completed: messages delivered to subscribers (or published, when there are no
    /// subscribers), requests answered. Probe figures are divided by this for `…/op` metrics.
    public var operations: Int
    /// Wall-clock seconds from the first send to the last receive.
    public var elapsedSeconds: Double
    /// Metric name (Go benchmark unit, e.g. `msgs/s`, `ns/op`) → value.
    public var metrics: [String: Double]
    /// End-to-end latencies in nanoseconds, when the workload measures them.
    public var latency: Histogram<UInt64>?
    /// Correctness failures (lost or duplicated messages, bad responses). Non-empty fails the cell.
    public var failures: [String]

    public init(
        operations: Int,
        elapsedSeconds: Double,
        metrics: [String: Double] = [:],
        latency: Histogram<UInt64>? = nil,
        failures: [String] = []
    ) {
        self.operations = operations
        self.elapsedSeconds = elapsedSeconds
        self.metrics = metrics
        self.latency = latency
        self.failures = failures
    }

    /// Adds `p50-ns`, `p90-ns`, `p99-ns`, `p99.9-ns` and `max-ns` from `latency`, if there is one.
    public mutating func addLatencyPercentiles() {
        guard let h = latency, h.totalCount > 0 else { return }
        metrics["p50-ns"] = Double(h.valueAtPercentile(50))
        metrics["p90-ns"] = Double(h.valueAtPercentile(90))
        metrics["p99-ns"] = Double(h.valueAtPercentile(99))
        metrics["p99.9-ns"] = Double(h.valueAtPercentile(99.9))
        metrics["max-ns"] = Double(h.max)
    }

    /// A latency histogram suitable for nanosecond values from 1 ns to 1 hour, 3 significant digits.
    public static func makeLatencyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
    }
}
