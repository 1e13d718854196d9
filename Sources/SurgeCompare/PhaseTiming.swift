#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a comparison's time went, phase by phase (`SURGE_COMPARE_TIMING=1` prints it): the
/// pipeline records reading, grouping, statistics and the gate; a command adds rendering and writing.
/// Phases are wall time; `startupCPU` is the CPU time the process had used before the command ran
/// (loading, runtime and argument parsing), a measure of start-up that needs no outside clock.
public struct PhaseTiming: Sendable {
    public private(set) var phases: [(name: String, duration: Duration)] = []
    private let clock = ContinuousClock()
    private var mark: ContinuousClock.Instant

    public init() { mark = clock.now }

    /// Whether `SURGE_COMPARE_TIMING` asks for the breakdown (then the pipeline also splits reading
    /// from grouping, which costs a clock read per result).
    public static var isRequested: Bool { getenv("SURGE_COMPARE_TIMING") != nil }

    /// Ends the current phase as `name` and starts the next one.
    public mutating func lap(_ name: String) {
        let now = clock.now
        phases.append((name, now - mark))
        mark = now
    }

    /// Ends the current phase and books it as two: `part` of it as `partName`, the rest as `name`.
    public mutating func lap(_ name: String, splitting part: Duration, as partName: String) {
        let now = clock.now
        phases.append((name, now - mark - part))
        phases.append((partName, part))
        mark = now
    }

    public var total: Duration { phases.reduce(.zero) { $0 + $1.duration } }

    /// `read 4.1, group 1.0, statistics 2.0, gate 0.3, render 1.9, total 8.3` (milliseconds).
    public var summary: String {
        (phases + [("total", total)]).map { "\($0.name) \(Self.milliseconds($0.duration))" }.joined(separator: ", ")
    }

    /// CPU time (user + system) this process has used so far.
    public static func processCPU() -> Duration {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return .seconds(Int64(t.tv_sec)) + .nanoseconds(Int64(t.tv_nsec))
    }

    public static func milliseconds(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        let tenths = Int((ms * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
