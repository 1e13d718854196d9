import Histogram
import NIOCore

/// What the connections of one event loop measured in a phase. Only that loop touches it, so
/// recording a latency is a plain histogram update.
final class HTTPLoadRecorder: @unchecked Sendable {
    var histogram = WorkloadOutcome.makeLatencyHistogram()
    var answered = 0
    var errors: [String: Int] = [:]
    var firstSendNanos: UInt64 = .max
    var lastReceiveNanos: UInt64 = 0

    func reset() {
        histogram.reset()
        answered = 0
        errors = [:]
        firstSendNanos = .max
        lastReceiveNanos = 0
    }

    func error(_ kind: String, count: Int = 1) {
        errors[kind, default: 0] += count
    }

    /// A copy for merging on another thread.
    func snapshot() -> Snapshot {
        Snapshot(histogram: histogram, answered: answered, errors: errors, firstSendNanos: firstSendNanos, lastReceiveNanos: lastReceiveNanos)
    }

    struct Snapshot: Sendable {
        var histogram: Histogram<UInt64>
        var answered: Int
        var errors: [String: Int]
        var firstSendNanos: UInt64
        var lastReceiveNanos: UInt64
    }
}

/// Monotonic nanoseconds.
@inline(__always) func monotonicNanos() -> UInt64 {
    UInt64(NIODeadline.now().uptimeNanoseconds)
}
