import Foundation
import Synchronization

/// One run of the `command` workload's command, as an executor is asked to make it.
public struct CommandInvocation: Sendable {
    /// The program's path (found in PATH, or relative to `directory`).
    public var executable: String
    /// The program's name and arguments, as given.
    public var argv: [String]
    public var directory: String?
    /// The whole environment: Surge's own with the workload's `env:` over it.
    public var environment: [String: String]
    /// Longest the run may take before it is stopped (SIGTERM, SIGKILL 2 s later).
    public var timeout: Double

    init(_ w: CommandWorkload) throws {
        guard let path = CommandRun.executablePath(w.argv[0], directory: w.directory) else {
            throw CommandStartError(description: "command: '\(w.argv[0])' is not an executable file nor found in PATH")
        }
        if let dir = w.directory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CommandStartError(description: "directory: '\(dir)' is not a directory")
            }
        }
        executable = path
        argv = w.argv
        directory = w.directory
        environment = ProcessInfo.processInfo.environment.merging(w.environment) { _, mine in mine }
        timeout = w.timeout
    }
}

/// Runs the `command` workload's command once, to its end. `ChildProcessCommandExecutor` (the
/// default) starts a plain child process; the runner gives one that attaches the scenario's probes
/// to the command's process tree for the run.
public protocol CommandExecutor: Sendable {
    func execute(_ invocation: CommandInvocation) throws -> CommandRun
}

/// Runs the command as a plain child process; its CPU is the children's rusage over the run.
public struct ChildProcessCommandExecutor: CommandExecutor {
    public init() {}

    public func execute(_ w: CommandInvocation) throws -> CommandRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: w.executable)
        process.arguments = Array(w.argv.dropFirst())
        if let dir = w.directory { process.currentDirectoryURL = URL(fileURLWithPath: dir) }
        process.environment = w.environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let before = Self.childrenCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            try process.run()
        } catch {
            throw CommandStartError(description: "command: cannot start \(w.executable): \(error)")
        }
        let state = CommandRunState()
        let readers = state.read(stdout: out.fileHandleForReading, stderr: err.fileHandleForReading)
        let pid = process.processIdentifier
        let timer = state.stopAfter(w.timeout, pid: pid)
        process.waitUntilExit()
        state.exited.store(true, ordering: .relaxed)
        timer.cancel()
        readers.wait()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = Self.childrenCPUSeconds() - before
        let (stdout, stderr) = state.output.withLock { ($0.stdout, $0.stderr) }
        var failure: String?
        if state.timedOut.load(ordering: .relaxed) {
            failure = CommandRunState.timeoutFailure(w.timeout)
        } else if process.terminationReason == .uncaughtSignal {
            failure = "was killed by signal \(process.terminationStatus)"
        } else if process.terminationStatus != 0 {
            failure = "exited with status \(process.terminationStatus)"
        }
        return CommandRun(
            stdout: stdout, stderrTail: CommandRun.tail(of: stderr), wallSeconds: wall, cpuSeconds: cpu,
            failure: failure)
    }

    private static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_CHILDREN.rawValue), &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}

/// What the reader threads and the timeout timer of one run share.
public final class CommandRunState: Sendable {
    public let output = Mutex((stdout: Data(), stderr: Data()))
    public let timedOut = Atomic<Bool>(false)
    public let exited = Atomic<Bool>(false)

    public init() {}

    /// Reads both outputs to their end on two threads; wait on the group for both.
    public func read(stdout: FileHandle, stderr: FileHandle) -> DispatchGroup {
        let readers = DispatchGroup()
        for (handle, isStdout) in [(stdout, true), (stderr, false)] {
            readers.enter()
            DispatchQueue.global().async {
                let data = handle.readDataToEndOfFile()
                self.output.withLock {
                    if isStdout { $0.stdout = data } else { $0.stderr = data }
                }
                readers.leave()
            }
        }
        return readers
    }

    /// Stops `pid` (SIGTERM, then SIGKILL 2 s later) unless `exited` is set within `seconds`;
    /// cancel the item once it has exited.
    public func stopAfter(_ seconds: Double, pid: Int32) -> DispatchWorkItem {
        let timer = DispatchWorkItem {
            guard !self.exited.load(ordering: .relaxed) else { return }
            self.timedOut.store(true, ordering: .relaxed)
            kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                if !self.exited.load(ordering: .relaxed) { kill(pid, SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: timer)
        return timer
    }

    public static func timeoutFailure(_ seconds: Double) -> String {
        "did not finish within its timeout of \(seconds) s and was stopped"
    }
}
