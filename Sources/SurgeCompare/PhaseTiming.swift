/// Where a comparison's time went, phase by phase (`SURGE_COMPARE_TIMING=1` prints it): the
/// pipeline records reading and grouping, statistics and the gate; a command adds rendering.
public struct PhaseTiming: Sendable {
    public private(set) var phases: [(name: String, duration: Duration)] = []
    private let clock = ContinuousClock()
    private var mark: ContinuousClock.Instant

    public init() { mark = clock.now }

    /// Ends the current phase as `name` and starts the next one.
    public mutating func lap(_ name: String) {
        let now = clock.now
        phases.append((name, now - mark))
        mark = now
    }

    public var total: Duration { phases.reduce(.zero) { $0 + $1.duration } }

    /// `read+group 4.1, statistics 2.0, gate 0.3, render 1.9, total 8.3` (milliseconds).
    public var summary: String {
        (phases + [("total", total)]).map { "\($0.name) \(Self.milliseconds($0.duration))" }.joined(separator: ", ")
    }

    public static func milliseconds(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        let tenths = Int((ms * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
