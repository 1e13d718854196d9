import Foundation
import Synchronization

/// One cell of a `command` workload: every phase runs the command once, to completion.
final class CommandSession: WorkloadSession {
    let workload: CommandWorkload

    init(workload: CommandWorkload) {
        self.workload = workload
    }

    func run(_ phase: WorkloadPhase, progress: @escaping ProgressHandler) async throws -> WorkloadOutcome {
        let w = workload
        let invocation = try CommandInvocation(w)
        let run = try await Task.detached { try w.executor.execute(invocation) }.value
        progress(1)
        var metrics = ["cmd-wall-ns": run.wallSeconds * 1e9, "cmd-cpu-ns": run.cpuSeconds * 1e9]
        metrics.merge(run.probeMetrics) { _, probed in probed }
        let shown = w.argv.joined(separator: " ")
        if let why = run.failure {
            let tail = run.stderrTail.isEmpty ? "" : "; its last stderr lines: " + run.stderrTail.joined(separator: " | ")
            return WorkloadOutcome(operations: 0, elapsedSeconds: run.wallSeconds, failures: ["`\(shown)` \(why)\(tail)"])
        }
        do throws(CommandOutputIngest.IngestError) {
            let result = try CommandOutputIngest.ingest(run.stdout, format: w.format, benchmark: w.benchmark)
            metrics.merge(result.metrics) { _, ingested in ingested }
            return WorkloadOutcome(operations: result.operations, elapsedSeconds: run.wallSeconds, metrics: metrics)
        } catch {
            return WorkloadOutcome(operations: 0, elapsedSeconds: run.wallSeconds, failures: ["`\(shown)`: \(error)"])
        }
    }

    func close() async {}
}

/// The command could not be started at all.
public struct CommandStartError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// One run of a benchmark command: its standard output, how it ended and what it cost.
public struct CommandRun: Sendable {
    public var stdout: Data
    public var stderrTail: [String]
    public var wallSeconds: Double
    /// User plus system CPU of the command and every descendant it waited for.
    public var cpuSeconds: Double
    /// Why the run does not count (non-zero exit, a signal, the timeout); nil when it exited 0.
    public var failure: String?
    /// Probe figures over the whole run of the command's process tree, named `cmd-…` (one run, not
    /// one of the command's own operations): `cmd-syscalls`, `cmd-allocs`, `cmd-alloc-bytes`,
    /// `cmd-frees`, `cmd-cpu-ns`, `cmd-peak-RSS-B`, `cmd-page-faults-minor`, `cmd-ctxsw`. Empty
    /// without probes.
    public var probeMetrics: [String: Double]

    public init(
        stdout: Data, stderrTail: [String], wallSeconds: Double, cpuSeconds: Double, failure: String?,
        probeMetrics: [String: Double] = [:]
    ) {
        self.stdout = stdout
        self.stderrTail = stderrTail
        self.wallSeconds = wallSeconds
        self.cpuSeconds = cpuSeconds
        self.failure = failure
        self.probeMetrics = probeMetrics
    }

    /// The last five lines of a command's standard error.
    public static func tail(of stderr: Data) -> [String] {
        String(decoding: stderr, as: UTF8.self).split(separator: "\n").suffix(5).map(String.init)
    }

    /// `name` itself when it holds a slash (relative to `directory`), else the first match in PATH.
    static func executablePath(_ name: String, directory: String?) -> String? {
        let fm = FileManager.default
        if name.contains("/") {
            let full = name.hasPrefix("/") || directory == nil ? name : (directory! as NSString).appendingPathComponent(name)
            return fm.isExecutableFile(atPath: full) ? full : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = (String(dir) as NSString).appendingPathComponent(name)
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
