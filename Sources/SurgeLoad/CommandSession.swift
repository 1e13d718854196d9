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
        let run = try await Task.detached { try CommandRun.execute(w) }.value
        progress(1)
        var metrics = ["cmd-wall-ns": run.wallSeconds * 1e9, "cmd-cpu-ns": run.cpuSeconds * 1e9]
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
}

/// One run of a benchmark command: its standard output, how it ended and what it cost.
struct CommandRun {
    var stdout: Data
    var stderrTail: [String]
    var wallSeconds: Double
    /// User plus system CPU of the command and every descendant it waited for.
    var cpuSeconds: Double
    /// Why the run does not count (non-zero exit, a signal, the timeout); nil when it exited 0.
    var failure: String?

    static func execute(_ w: CommandWorkload) throws -> CommandRun {
        let process = Process()
        guard let path = executablePath(w.argv[0], directory: w.directory) else {
            throw CommandStartError(description: "command: '\(w.argv[0])' is not an executable file nor found in PATH")
        }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = Array(w.argv.dropFirst())
        if let dir = w.directory { process.currentDirectoryURL = URL(fileURLWithPath: dir) }
        process.environment = ProcessInfo.processInfo.environment.merging(w.environment) { _, mine in mine }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let before = childrenCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            try process.run()
        } catch {
            throw CommandStartError(description: "command: cannot start \(path): \(error)")
        }
        let state = CommandRunState()
        let readers = DispatchGroup()
        for (pipe, isStdout) in [(out, true), (err, false)] {
            readers.enter()
            let handle = pipe.fileHandleForReading
            DispatchQueue.global().async {
                let data = handle.readDataToEndOfFile()
                state.output.withLock {
                    if isStdout { $0.stdout = data } else { $0.stderr = data }
                }
                readers.leave()
            }
        }
        let pid = process.processIdentifier
        let timer = DispatchWorkItem {
            guard !state.exited.load(ordering: .relaxed) else { return }
            state.timedOut.store(true, ordering: .relaxed)
            kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                if !state.exited.load(ordering: .relaxed) { kill(pid, SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + w.timeout, execute: timer)
        process.waitUntilExit()
        state.exited.store(true, ordering: .relaxed)
        timer.cancel()
        readers.wait()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = childrenCPUSeconds() - before
        let (stdout, stderr) = state.output.withLock { ($0.stdout, $0.stderr) }
        let errText = String(decoding: stderr, as: UTF8.self)
        let tail = errText.split(separator: "\n").suffix(5).map(String.init)
        var failure: String?
        if state.timedOut.load(ordering: .relaxed) {
            failure = "did not finish within its timeout of \(w.timeout) s and was stopped"
        } else if process.terminationReason == .uncaughtSignal {
            failure = "was killed by signal \(process.terminationStatus)"
        } else if process.terminationStatus != 0 {
            failure = "exited with status \(process.terminationStatus)"
        }
        return CommandRun(
            stdout: stdout, stderrTail: tail, wallSeconds: wall, cpuSeconds: cpu, failure: failure)
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

    private static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_CHILDREN.rawValue), &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}

/// What the reader threads and the timeout timer of one run share.
final class CommandRunState: Sendable {
    let output = Mutex((stdout: Data(), stderr: Data()))
    let timedOut = Atomic<Bool>(false)
    let exited = Atomic<Bool>(false)
}
