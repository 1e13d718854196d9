import Foundation
import SurgeLoad
import SurgeScenario

/// One process of a multi-node target (a mesh): its index, process and ports.
struct TopologyNode {
    var index: Int
    var process: TargetProcess
    var port: Int
    var statsPort: Int?
    var peerPort: Int?
}

/// Starts a target of `nodes: N > 1` processes of one built-in component: node 0 first, then nodes
/// 1...N-1 with `-o bootstrap=127.0.0.1:<peer_port of node 0>`, and waits (within the target's
/// ready timeout) until every node's stats report `known_peers >= N-1`. Any failure stops every
/// node already started and names the node that failed.
enum TopologyLauncher {
    static func start(_ target: ResolvedTarget, surgeExecutable: String, cpus: [Int]?, extraEnvironment: [String: String] = [:]) throws -> StartedTarget {
        guard case .component(let name) = target.kind else {
            throw TargetError.spawnFailed(argv: [], reason: "only a built-in component can run as \(target.nodes) nodes")
        }
        let n = target.nodes
        let environment = target.environment.merging(extraEnvironment) { a, _ in a }
        let deadline = Date().addingTimeInterval(target.readyTimeout)
        var started: [TopologyNode] = []
        func argv(_ extra: [String: String]) -> [String] {
            var a = [surgeExecutable, "serve", name, "--host", "127.0.0.1", "--port", "0", "--stats-port", "0"]
            for (k, v) in target.options.merging(extra, uniquingKeysWith: { _, new in new }).sorted(by: { $0.key < $1.key }) {
                a += ["-o", "\(k)=\(v)"]
            }
            return a
        }
        func remaining() -> Double { max(0.1, deadline.timeIntervalSinceNow) }
        func ready(_ index: Int, _ process: TargetProcess) throws -> TopologyNode {
            do {
                let line = try process.waitForReadyLine(timeout: remaining())
                return TopologyNode(index: index, process: process, port: line.port, statsPort: line.statsPort,
                                    peerPort: process.readyFields["peer_port"])
            } catch let TargetError.exitedBeforeReady(status, stderr) {
                throw TargetError.exitedBeforeReady(status: "node \(index) of \(n) (pid \(process.pid)) \(status)", stderr: stderr)
            } catch {
                throw TopologyError(description: "node \(index) of \(n) (pid \(process.pid)): \(error)")
            }
        }
        do {
            let first = try TargetProcess(argv: argv([:]), environment: environment, cpus: cpus)
            let node0 = try ready(0, first)
            started.append(node0)
            guard let seed = node0.peerPort else {
                throw TopologyError(description: "node 0's ready line has no \"peer_port\"; component '\(name)' cannot form a multi-node target")
            }
            var processes: [TargetProcess] = []
            for _ in 1..<n {
                let p = try TargetProcess(argv: argv(["bootstrap": "127.0.0.1:\(seed)"]), environment: environment, cpus: cpus)
                processes.append(p)
                started.append(TopologyNode(index: started.count, process: p, port: 0))
            }
            for (i, p) in processes.enumerated() { started[i + 1] = try ready(i + 1, p) }
            try waitUntilMeshed(started, deadline: deadline, timeout: target.readyTimeout)
        } catch {
            for node in started { node.process.stop(timeout: 1) }
            throw error
        }
        var result = StartedTarget(process: started[0].process, port: started[0].port, statsPort: started[0].statsPort)
        result.nodes = started
        return result
    }

    /// Polls every node's stats until each knows the N-1 others.
    private static func waitUntilMeshed(_ nodes: [TopologyNode], deadline: Date, timeout: Double) throws {
        let want = Double(nodes.count - 1)
        var known = [Double](repeating: 0, count: nodes.count)
        while true {
            for node in nodes {
                if let exit = node.process.exitDescription() {
                    throw TargetError.exitedBeforeReady(status: "node \(node.index) of \(nodes.count) (pid \(node.process.pid)) \(exit)",
                                                        stderr: node.process.lastStderrLines)
                }
                if let port = node.statsPort, let stats = try? StatsClient.fetch(host: "127.0.0.1", port: port) {
                    known[node.index] = stats.gauges["known_peers"] ?? 0
                }
            }
            if known.allSatisfy({ $0 >= want }) { return }
            if Date() >= deadline {
                let lagging = known.enumerated().filter { $0.element < want }
                    .map { "node \($0.offset) knows \(Int($0.element))" }.joined(separator: ", ")
                throw TargetError.notReady(seconds: timeout, detail: "the DHT did not converge: \(lagging) of \(nodes.count - 1) peers")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}

struct TopologyError: Error, CustomStringConvertible {
    var description: String
}

extension StartedTarget {
    /// Every process of the target: node 0 alone for a single-process target.
    var allNodes: [TopologyNode] {
        nodes.isEmpty ? [TopologyNode(index: 0, process: process, port: port, statsPort: statsPort)] : nodes
    }

    /// PIDs of every node, in node order: the hook probes attach to (figures per node and summed).
    var pids: [pid_t] { allNodes.map(\.process.pid) }

    /// One endpoint per node; the workload's `endpoints[i]` is node i.
    var endpoints: [Endpoint] { allNodes.map { Endpoint(host: "127.0.0.1", port: $0.port) } }

    /// The counters and gauges of every node: each as `node<i>.<key>` and merged under `<key>`
    /// (`TargetStats.merge`); a single-node target's as they are. Nil when no node serves stats.
    func fetchCounters() -> TargetStats? {
        if nodes.isEmpty { return statsPort.flatMap { try? StatsClient.fetch(host: "127.0.0.1", port: $0) } }
        var merged = TargetStats()
        var any = false
        for node in nodes {
            guard let port = node.statsPort, let stats = try? StatsClient.fetch(host: "127.0.0.1", port: port) else { continue }
            any = true
            merged.merge(stats, node: node.index)
        }
        return any ? merged : nil
    }

    /// Nil while every node runs; else which node ended and how ("node 3 of 5 (pid 123) was killed by signal 9 (Killed)").
    func exitDescription() -> String? {
        if nodes.isEmpty { return process.exitDescription() }
        for node in nodes {
            if let exit = node.process.exitDescription() { return "node \(node.index) of \(nodes.count) (pid \(node.process.pid)) \(exit)" }
        }
        return nil
    }

    /// The standard error tail of the first node that ended, else of node 0.
    var lastStderrLines: [String] {
        (nodes.first { !$0.process.isRunning }?.process ?? process).lastStderrLines
    }

    /// Stops every node (SIGTERM, then SIGKILL after `timeout`), the others cleanly when one crashed.
    func stopAll(timeout: Double) {
        for node in allNodes.reversed() { node.process.stop(timeout: timeout) }
        for companion in companions { companion.stop(timeout: timeout) }
    }
}
