import SurgeScenario

/// A two-process target: a `stream` component with no `broker` option gets a built-in broker
/// started first (`surge serve broker`), then runs with `-o broker=127.0.0.1:<its port>`. The
/// workload's endpoint is the broker (the stream processor's ready line reports its port); probes
/// and counters are the stream processor's; the broker is stopped with it.
enum CompanionBrokerLauncher {
    static func needsBroker(_ target: ResolvedTarget) -> Bool {
        target.kind == .component("stream") && target.options["broker"] == nil && target.nodes == 1
    }

    static func start(
        _ target: ResolvedTarget, surgeExecutable: String, cpus: [Int]?, extraEnvironment: [String: String]
    ) throws -> StartedTarget {
        var brokerTarget = target
        brokerTarget.kind = .component("broker")
        brokerTarget.options = [:]
        brokerTarget.name = target.name + " (broker)"
        let broker = try TargetLauncher.start(brokerTarget, surgeExecutable: surgeExecutable, cpus: cpus)
        var stream = target
        stream.options["broker"] = "127.0.0.1:\(broker.port)"
        do {
            var started = try TargetLauncher.start(
                stream, surgeExecutable: surgeExecutable, cpus: cpus, extraEnvironment: extraEnvironment)
            started.companions = [broker.process]
            return started
        } catch {
            broker.process.stop(timeout: 1)
            throw error
        }
    }
}
