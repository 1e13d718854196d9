import Foundation
import Glibc

/// Closes file descriptors each on its own thread. Releasing a perf event or uprobe waits for an
/// RCU grace period (60–190 ms); waits on separate threads overlap, sequential ones add up.
enum ParallelClose {
    static func run(_ actions: [@Sendable () -> Void]) {
        guard actions.count > 1 else {
            actions.first?()
            return
        }
        let group = DispatchGroup()
        for action in actions {
            group.enter()
            let thread = Thread {
                action()
                group.leave()
            }
            thread.start()
        }
        group.wait()
    }
}
