import Foundation
import Synchronization

/// Fails a cell when its target dies or a visit outlives the scenario's `timeout`: it stops the
/// target, which makes the workload's pending I/O fail promptly, and remembers why.
final class CellWatchdog: Sendable {
    private struct State {
        var reason: String?
        var deadline: Date
    }

    private let target: StartedTarget
    private let timeout: Double
    private let state: Mutex<State>

    init(target: StartedTarget, timeout: Double) {
        self.target = target
        self.timeout = timeout
        state = Mutex(State(reason: nil, deadline: Date().addingTimeInterval(timeout)))
    }

    /// Starts the timeout afresh (a target kept across interleaved visits is timed per visit).
    func rearm() {
        state.withLock { $0.deadline = Date().addingTimeInterval(timeout) }
    }

    func failure() -> String? {
        state.withLock { $0.reason }
    }

    func watch() async {
        while !Task.isCancelled {
            if let exit = target.exitDescription() {
                set("the target \(exit) while it was being measured")
                if !target.nodes.isEmpty { target.stopAll(timeout: 2) }  // a node died: stop the others cleanly
                return
            }
            if Date() >= state.withLock({ $0.deadline }) {
                set(
                    "timed out: the cell took longer than the scenario's timeout of \(ScenarioRunner.seconds(timeout)) (hung target or workload); the target was stopped"
                )
                target.stopAll(timeout: 1)
                return
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    private func set(_ text: String) {
        state.withLock { if $0.reason == nil { $0.reason = text } }
    }
}

struct CellFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
