import ComponentKit
import Synchronization

/// The processor's counters, served on its stats port: messages in, published, dropped by a filter
/// and failed (with the last failure's text under `info.last_error`).
final class StreamCounters: Sendable {
    let msgsIn = Atomic<Int>(0)
    let msgsOut = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let lastError = Mutex("")

    func failed(_ error: StreamEvalError) {
        errors.add(1, ordering: .relaxed)
        lastError.withLock { $0 = error.message }
    }

    func stats() -> ComponentStats {
        ComponentStats(
            counters: [
                "msgs_in": msgsIn.load(ordering: .relaxed),
                "msgs_out": msgsOut.load(ordering: .relaxed),
                "dropped_by_filter": dropped.load(ordering: .relaxed),
                "errors": errors.load(ordering: .relaxed),
            ],
            info: ["last_error": lastError.withLock { $0 }])
    }
}
