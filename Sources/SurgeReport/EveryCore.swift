import Foundation
import Synchronization

/// Work split over every core with the results kept in order: the weekly report's per-run digests,
/// per-series analyses and per-metric charts, each independent of the others.
enum EveryCore {
    /// `body(i)` for every `i` in `0..<count`, run side by side; element `i` of the result is `body(i)`.
    static func map<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let results = Mutex([T?](repeating: nil, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let value = body(i)
            results.withLock { $0[i] = value }
        }
        // concurrentPerform returns after every iteration has run, so every slot is filled.
        return results.withLock { $0 }.map { $0! }
    }
}
