#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deliberate, fixed CPU cost per unit of work (`-o handicap-ns=N`): the canary that proves a
/// regression gate can fail. Each `apply()` spins on the monotonic clock for `nanoseconds`; it
/// never sleeps, so the cost is on-CPU and shows in throughput and latency as a real slowdown would.
package struct Handicap: Sendable, Equatable {
    /// Nanoseconds spun per unit of work; 0 is off.
    package let nanoseconds: Int

    package init(nanoseconds: Int) {
        self.nanoseconds = max(0, nanoseconds)
    }

    package static let off = Handicap(nanoseconds: 0)

    package var isOn: Bool { nanoseconds > 0 }

    /// Busy-waits `nanoseconds` on this thread (returns at once when off).
    @inline(__always)
    package func apply() {
        guard nanoseconds > 0 else { return }
        Self.spin(nanoseconds: UInt64(nanoseconds))
    }

    @inline(never)
    static func spin(nanoseconds: UInt64) {
        let start = monotonicNanoseconds()
        while monotonicNanoseconds() &- start < nanoseconds {}
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    package static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
