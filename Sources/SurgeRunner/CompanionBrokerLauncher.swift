import Foundation
import SurgeScenario

/// A two-process target: a broker started first (`surge serve broker`), then the measured process
/// beside it. Two kinds need one:
/// - a `stream` component with no `broker` option runs with `-o broker=127.0.0.1:<its port>`;
/// - a `command` target that names `{broker_port}` (in its argv or env) gets the broker's port
///   there: any external stream processor. It is ready once the broker counts a subscription (it
///   has subscribed to its input subjects), or, when it also names `{port}`, once that accepts.
///
/// The workload's endpoint is the broker; probes and counters are the measured process's; the
/// broker is stopped with it.
enum CompanionBrokerLauncher {
    static let placeholder = "broker_port"

    static func needsBroker(_ target: ResolvedTarget) -> Bool {
        guard target.nodes == 1 else { return false }
        switch target.kind {
        case .component(let name): return name == "stream" && target.options["broker"] == nil
        case .command(let argv):
            return (argv + target.environment.values).contains {
                (try? Placeholders.names(in: $0).contains(placeholder)) == true
            }
        case .workloadOwned: return false
        }
    }

    static func start(
        _ target: ResolvedTarget, surgeExecutable: String, cpus: [Int]?, extraEnvironment: [String: String]
    ) throws -> StartedTarget {
        var brokerTarget = target
        brokerTarget.kind = .component("broker")
        brokerTarget.options = [:]
        brokerTarget.environment = [:]
        brokerTarget.name = target.name + " (broker)"
        let broker = try TargetLauncher.start(brokerTarget, surgeExecutable: surgeExecutable, cpus: cpus)
        do {
            var started: StartedTarget
            if case .command = target.kind {
                started = try startCommand(
                    target, broker: broker, surgeExecutable: surgeExecutable, cpus: cpus,
                    extraEnvironment: extraEnvironment)
            } else {
                var stream = target
                stream.options["broker"] = "127.0.0.1:\(broker.port)"
                started = try TargetLauncher.start(
                    stream, surgeExecutable: surgeExecutable, cpus: cpus, extraEnvironment: extraEnvironment)
            }
            started.companions = [broker.process]
            return started
        } catch {
            broker.process.stop(timeout: 1)
            throw error
        }
    }

    /// The command with `{broker_port}` filled in; ready as the type's comment says.
    private static func startCommand(
        _ target: ResolvedTarget, broker: StartedTarget, surgeExecutable: String, cpus: [Int]?,
        extraEnvironment: [String: String]
    ) throws -> StartedTarget {
        let port = String(broker.port)
        let fill: (String) -> String = { (try? Placeholders.substitute($0) { $0 == placeholder ? port : nil }) ?? $0 }
        var command = target
        guard case .command(let argv) = target.kind else {
            throw TargetError.spawnFailed(argv: [], reason: "not a command")
        }
        let listens = (argv + target.environment.values).contains {
            (try? Placeholders.names(in: $0).contains("port")) == true
        }
        command.kind = .command(argv.map(fill))
        command.environment = target.environment.mapValues(fill)
        if listens {
            var started = try TargetLauncher.start(
                command, surgeExecutable: surgeExecutable, cpus: cpus, extraEnvironment: extraEnvironment)
            started.port = broker.port
            return started
        }
        let resolved = command.withRuntime(port: broker.port, statsPort: 0)
        guard case .command(var args) = resolved.kind, !args.isEmpty else {
            throw TargetError.spawnFailed(argv: [], reason: "empty command")
        }
        args[0] = TargetLauncher.companionPath(args[0], surgeExecutable: surgeExecutable)
        let process = try TargetProcess(
            argv: args, environment: resolved.environment.merging(extraEnvironment) { a, _ in a }, cpus: cpus)
        do {
            try waitForSubscription(process, broker: broker, timeout: target.readyTimeout)
        } catch {
            process.stop(timeout: 1)
            throw error
        }
        return StartedTarget(process: process, port: broker.port, statsPort: nil)
    }

    /// Waits until the broker's `subscriptions` gauge is above zero (nothing else is connected yet).
    private static func waitForSubscription(_ process: TargetProcess, broker: StartedTarget, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = process.exitDescription() {
                Thread.sleep(forTimeInterval: 0.05)
                throw TargetError.exitedBeforeReady(status: status, stderr: process.lastStderrLines)
            }
            if let stats = broker.fetchCounters(), (stats["subscriptions"] ?? 0) > 0 { return }
            if Date() >= deadline {
                throw TargetError.notReady(
                    seconds: timeout, detail: "it made no subscription on the broker at 127.0.0.1:\(broker.port)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
