import Foundation
import Glibc
import SurgeLoad
import SurgeProbes
import Synchronization

/// Runs a `command` workload's command with the scenario's probes on its process tree. The command
/// is forked held before its exec (`GatedChild`), the probes attach to it and follow what it forks
/// (`go test` runs the compiler, then the test binary), and the window is the command's whole run:
/// its figures are per run of the command, named `cmd-…` (`cmd-syscalls`, `cmd-allocs`,
/// `cmd-alloc-bytes`, `cmd-frees`, `cmd-cpu-ns`, `cmd-peak-RSS-B`, `cmd-page-faults-minor`,
/// `cmd-ctxsw`), never mixed into the per-op figures the command's own benchmarks report. CPU,
/// memory and context switches come from the command's wait4 rusage (it and the descendants it
/// waited for); allocations from the preload library, and only when the program that runs is not
/// a Go program (Go's heap is not malloc's).
final class ProbedCommandExecutor: CommandExecutor {
    let probes: Set<ProbeKind>
    private let preload: AllocationPreload?
    private struct Seen {
        var methods: [String: String] = [:]
        var notices: [String] = []
    }
    private let seen = Mutex(Seen())

    /// Which `cmd-…` metric each probe kind yields (the rest of a window is left out).
    static let metricsOfKind: [ProbeKind: [String]] = [
        .syscalls: ["syscalls"], .allocations: ["allocs", "alloc-bytes", "frees"], .cpu: ["cpu-ns"],
        .memory: ["peak-RSS-B", "page-faults-minor"], .contextSwitches: ["ctxsw"],
    ]

    /// `probes` without costly ones (a command has no separate profile pass); `preload` when
    /// allocations are wanted and the library could be prepared.
    init(probes: Set<ProbeKind>, preload: AllocationPreload?) {
        self.probes = probes.filter { !$0.isCostly && ($0 != .allocations || preload != nil) }
        self.preload = preload
    }

    /// The method of each `cmd-…` metric of the last run.
    var methods: [String: String] { seen.withLock { $0.methods } }

    /// Notices not taken yet (fallbacks, figures left out and why).
    func takeNotices() -> [String] {
        seen.withLock { s in
            defer { s.notices = [] }
            return s.notices
        }
    }

    func execute(_ w: CommandInvocation) throws -> CommandRun {
        var environment = w.environment
        if let preload { environment.merge(preload.environment(existing: w.environment)) { $1 } }
        let pipes = try CommandPipes()
        let child: GatedChild
        do {
            child = try GatedChild(
                command: [w.executable] + w.argv.dropFirst(), environment: environment,
                stdio: [pipes.null, pipes.stdout.write, pipes.stderr.write], directory: w.directory)
        } catch {
            pipes.closeAll()
            throw CommandStartError(description: "command: cannot start \(w.executable): \(error)")
        }
        pipes.closeChildEnds()
        var notices = child.notice.map { ["command: \($0)"] } ?? []
        var session: ProbeSession?
        do {
            session = try ProbeSession.attach(
                pid: child.pid, probes: probes, preload: preload, beforeExec: true, allowCostly: false)
            try session?.beginWindow()
        } catch {
            notices.append("command: probes not measured on `\(w.argv.joined(separator: " "))`: \(error)")
            session?.close()
            session = nil
        }
        defer { session?.close() }
        let state = CommandRunState()
        let readers = state.read(
            stdout: FileHandle(fileDescriptor: pipes.stdout.read, closeOnDealloc: true),
            stderr: FileHandle(fileDescriptor: pipes.stderr.read, closeOnDealloc: true))
        let start = DispatchTime.now().uptimeNanoseconds
        child.release()
        let timer = state.stopAfter(w.timeout, pid: child.pid)
        var pause: useconds_t = 200
        while !child.hasExited {
            session?.observeImage()
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
        try? child.waitForExit()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        state.exited.store(true, ordering: .relaxed)
        timer.cancel()
        var window: ProbeWindow?
        var cpuSeconds = 0.0
        if let session {
            do {
                window = try session.endWindow(reaping: child)
            } catch {
                notices.append("command: probe figures of the run are not reported: \(error)")
            }
            notices += session.notices
        }
        if child.exitStatus == nil, let usage = try? child.wait().usage {
            cpuSeconds = Self.seconds(usage.ru_utime) + Self.seconds(usage.ru_stime)
        }
        readers.wait()
        let figures = window.map(figures(of:)) ?? (metrics: [:], methods: [:])
        if let cpu = window?.totals["cpu-ns"] { cpuSeconds = cpu / 1e9 }
        seen.withLock { s in
            s.methods = figures.methods
            for n in notices where !s.notices.contains(n) { s.notices.append(n) }
        }
        let (stdout, stderr) = state.output.withLock { ($0.stdout, $0.stderr) }
        return CommandRun(
            stdout: stdout, stderrTail: CommandRun.tail(of: stderr), wallSeconds: wall, cpuSeconds: cpuSeconds,
            failure: Self.failure(status: child.exitStatus, timedOut: state.timedOut.load(ordering: .relaxed),
                                  timeout: w.timeout),
            probeMetrics: figures.metrics)
    }

    /// The window's totals of the requested kinds, as `cmd-…` metrics, with their methods.
    private func figures(of window: ProbeWindow) -> (metrics: [String: Double], methods: [String: String]) {
        var metrics: [String: Double] = [:]
        var methods: [String: String] = [:]
        for kind in probes {
            for key in Self.metricsOfKind[kind] ?? [] {
                guard let value = window.totals[key] else { continue }
                metrics["cmd-\(key)"] = value
                methods["cmd-\(key)"] = window.methods[key]
            }
        }
        return (metrics, methods)
    }

    static func failure(status: Int32?, timedOut: Bool, timeout: Double) -> String? {
        if timedOut { return CommandRunState.timeoutFailure(timeout) }
        guard let status else { return "could not be waited for" }
        if status == 127 { return "exited with status 127 (it could not be executed, or its directory entered)" }
        if status > 128 { return "was killed by signal \(status - 128)" }
        return status == 0 ? nil : "exited with status \(status)"
    }

    private static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
}

/// The command's standard input (/dev/null), output and error pipes, close-on-exec in Surge (the
/// gated fork puts the child's ends on descriptors 0, 1 and 2).
struct CommandPipes {
    let null: Int32
    let stdout: (read: Int32, write: Int32)
    let stderr: (read: Int32, write: Int32)

    init() throws {
        func pipe() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard Glibc.pipe(&fds) == 0 else {
                throw CommandStartError(description: "command: pipe: \(String(cString: strerror(errno)))")
            }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
        null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        stdout = try pipe()
        stderr = try pipe()
    }

    /// Closes the child's ends once it has them, so the readers see the end of the output.
    func closeChildEnds() {
        for fd in [null, stdout.write, stderr.write] where fd >= 0 { close(fd) }
    }

    func closeAll() {
        closeChildEnds()
        close(stdout.read)
        close(stderr.read)
    }
}
