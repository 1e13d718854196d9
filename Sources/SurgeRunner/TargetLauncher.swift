import Foundation
import SurgeScenario

/// A target that is up and ready for load.
struct StartedTarget {
    var process: TargetProcess
    var port: Int
    /// The component's stats port; nil for external programs.
    var statsPort: Int?
    /// Every node of a multi-node target (`nodes: N`), node 0 first; empty for a single process.
    var nodes: [TopologyNode] = []
    /// Processes started for the target but not measured (a stream processor's broker), stopped after it.
    var companions: [TargetProcess] = []
}

/// Starts a cell's target and waits until it is ready.
///
/// A built-in component runs as `surge serve <component> --port 0 --stats-port 0 -o key=value ...`
/// and announces itself with the ready line `{"ready":true,"port":N,"stats_port":M}`. An external
/// command gets a free port for `{port}` (and `{stats_port}`) and is ready when the port accepts.
enum TargetLauncher {
    /// A program name without a slash that Surge itself builds (`surge-http-bench`, ...) is taken
    /// from beside the surge executable when it is there; anything else is searched in PATH.
    static func companionPath(_ program: String, surgeExecutable: String) -> String {
        guard !program.contains("/") else { return program }
        let beside = ((surgeExecutable as NSString).deletingLastPathComponent as NSString).appendingPathComponent(program)
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : program
    }

    static func start(_ target: ResolvedTarget, surgeExecutable: String, cpus: [Int]?, extraEnvironment: [String: String] = [:]) throws -> StartedTarget {
        if CompanionBrokerLauncher.needsBroker(target) {
            return try CompanionBrokerLauncher.start(
                target, surgeExecutable: surgeExecutable, cpus: cpus, extraEnvironment: extraEnvironment)
        }
        if target.nodes > 1 {
            return try TopologyLauncher.start(target, surgeExecutable: surgeExecutable, cpus: cpus, extraEnvironment: extraEnvironment)
        }
        switch target.kind {
        case .workloadOwned:
            throw TargetError.spawnFailed(argv: [], reason: "this cell has no target; its workload runs its own command")
        case .component(let name):
            var argv = [surgeExecutable, "serve", name, "--host", "127.0.0.1", "--port", "0", "--stats-port", "0"]
            for (k, v) in target.options.sorted(by: { $0.key < $1.key }) { argv += ["-o", "\(k)=\(v)"] }
            let process = try TargetProcess(argv: argv, environment: target.environment.merging(extraEnvironment) { a, _ in a }, cpus: cpus)
            do {
                let ready = try process.waitForReadyLine(timeout: target.readyTimeout)
                return StartedTarget(process: process, port: ready.port, statsPort: ready.statsPort)
            } catch {
                process.stop(timeout: 1)
                throw error
            }
        case .command:
            let port = try TCPProbe.freePort()
            let statsPort = try TCPProbe.freePort()
            let resolved = target.withRuntime(port: port, statsPort: statsPort)
            guard case .command(var argv) = resolved.kind, !argv.isEmpty else {
                throw TargetError.spawnFailed(argv: [], reason: "empty command")
            }
            argv[0] = companionPath(argv[0], surgeExecutable: surgeExecutable)
            let process = try TargetProcess(argv: argv, environment: resolved.environment.merging(extraEnvironment) { a, _ in a }, cpus: cpus)
            do {
                try process.waitForPort(host: "127.0.0.1", port: port, timeout: target.readyTimeout)
                return StartedTarget(process: process, port: port, statsPort: nil)
            } catch {
                process.stop(timeout: 1)
                throw error
            }
        }
    }
}
