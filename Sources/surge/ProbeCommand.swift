import ArgumentParser
import Foundation
import Glibc
import SurgeProbes

/// `surge probe`: a one-shot syscount/funccount for any process — syscalls by name, allocation
/// calls by function, CPU, peak RSS and context switches — over a fixed window of a running
/// process (`--pid`) or over the whole life of a command it starts (`-- command args`).
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Count a process's syscalls, allocations, CPU time, peak RSS and context switches.",
        usage: "surge probe --pid PID [--duration 5s] [<options>]\nsurge probe [<options>] -- COMMAND [ARGS ...]",
        discussion: """
            Examples:
              surge probe --pid PID --duration 5s
                  measure a running process for 5 seconds (Ctrl-C ends early)
              surge probe -- command args
                  run the command to its end and measure all of it

            Needs root (or CAP_BPF and CAP_PERFMON) for syscalls by name and for allocations of a running \
            process; without them Surge says what it cannot measure and falls back to /proc.

            Every figure covers the target's whole process tree (its children and theirs, followed as they \
            fork; JSON "processes" breaks it down by pid) unless --main-only.

            With a command, counting starts at the command's execve; CPU time, context switches and page \
            faults come from wait4 (the command and the children it waited for), allocations from a preload \
            library its children inherit.
            """
    )

    @Option(help: "Process id of a running process to measure.")
    var pid: Int32?

    @Option(help: "Window length for --pid: 5s, 500ms, 2m, or seconds.")
    var duration: String = "5s"

    @Option(help: "Probes to attach, comma separated: \(ProbeKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var probes: String = "syscalls,allocations,cpu,memory,context-switches"

    @Flag(help: "Also time syscalls (adds the syscall-latency probe; ~630 ns per syscall).")
    var latency = false

    @Option(name: .customLong("method"),
            help: "Force a method: syscalls=bpf|perf|proc, allocations=preload|uprobe, context-switches=bpf|perf (repeatable).")
    var methods: [String] = []

    @Option(help: "Rows of the syscall table.")
    var top: Int = 25

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Flag(help: "Measure the process alone, not its children.")
    var mainOnly = false

    @Flag(help: "Print the path of the allocation preload library (building it if needed) and exit.")
    var preloadLibrary = false

    @Argument(parsing: .postTerminator, help: "Command to run and measure (after --).")
    var command: [String] = []

    func validate() throws {
        if preloadLibrary { return }
        if (pid == nil) == command.isEmpty {
            throw ValidationError("give either --pid PID or -- command args (not both)")
        }
        _ = try ProbeDuration.parse(duration)
        _ = try forcedMethods()
        if top < 1 { throw ValidationError("--top must be at least 1 (got \(top))") }
    }

    func forcedMethods() throws -> [ProbeKind: String] {
        var result: [ProbeKind: String] = [:]
        for entry in methods {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let kind = ProbeKind(rawValue: parts[0]) else {
                throw ValidationError("--method '\(entry)': expected PROBE=METHOD, e.g. syscalls=perf")
            }
            result[kind] = parts[1]
        }
        return result
    }

    func run() async throws {
        if preloadLibrary {
            print(try AllocationPreload.libraryPath())
            return
        }
        var kinds = try ProbeKind.parseList(probes)
        if latency { kinds.insert(.syscallLatency) }
        let forced = try forcedMethods()
        let report: ProbeReport
        if let pid {
            report = try measureRunning(pid: pid, kinds: kinds, forced: forced, seconds: try ProbeDuration.parse(duration))
        } else {
            report = try measureCommand(kinds: kinds, forced: forced)
        }
        if json {
            print(try report.json())
        } else {
            print(report.table(top: top))
        }
        if let status = report.exitStatus, status != 0 { throw ExitCode(status) }
    }

    private func measureRunning(pid: Int32, kinds: Set<ProbeKind>, forced: [ProbeKind: String], seconds: Double) throws -> ProbeReport {
        let session = try ProbeSession.attach(pid: pid, probes: kinds, preload: nil, forceMethod: forced, mainOnly: mainOnly)
        defer { session.close() }
        let interrupt = InterruptCatcher()
        try session.beginWindow()
        let attached = session.methods.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value.rawValue)" }
        FileHandle.standardError.write(Data("surge probe: attached to pid \(pid) (\(attached.joined(separator: ", "))); measuring for \(duration), Ctrl-C ends early\n".utf8))
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, interrupt.caught == nil, kill(pid, 0) == 0 || errno == EPERM {
            usleep(20_000)
        }
        let window = try session.endWindowTolerantOfExit()
        return ProbeReport(pid: pid, target: ProbeReport.commandName(pid), window: window, notices: session.notices,
                           methods: session.methods, exitStatus: nil)
    }

    private func measureCommand(kinds: Set<ProbeKind>, forced: [ProbeKind: String]) throws -> ProbeReport {
        var notices: [String] = []
        var preload: AllocationPreload?
        if kinds.contains(.allocations) {
            do { preload = try AllocationPreload.prepare() } catch { notices.append("allocations are not measured: \(error)") }
        }
        defer { preload?.remove() }
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in preload?.environment ?? [:] { environment[key] = value }
        let child = try GatedChild(command: command, environment: environment)
        if let notice = child.notice { notices.append(notice) }
        let session: ProbeSession
        do {
            session = try ProbeSession.attach(pid: child.pid, probes: kinds, preload: preload, forceMethod: forced,
                                              beforeExec: true, mainOnly: mainOnly)
        } catch {
            child.abandon()
            throw error
        }
        defer { session.close() }
        try session.beginWindow()
        // Ctrl-C reaches the command from the terminal too; a SIGTERM sent to Surge alone is passed
        // on. Either way Surge waits for the command and reports.
        let interrupt = InterruptCatcher(forwardTerminationTo: child.pid)
        child.release()
        // Look at the command's image now and then: whether the preload library is in the process
        // that runs (a wrapper may exec the real program without it), whether it is a Go program,
        // and its VmHWM (wait4's ru_maxrss includes Surge's pre-exec pages).
        var pause: useconds_t = 200
        while !child.hasExited {
            session.observeImage()
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
        try child.waitForExit()
        withExtendedLifetime(interrupt) {}
        let window = try session.endWindow(reaping: child)
        let exit = child.exitStatus ?? -1
        if exit == 127 { notices.append("the command exited with 127: '\(command[0])' may not exist or not be executable") }
        return ProbeReport(pid: child.pid, target: command.joined(separator: " "), window: window, notices: notices + session.notices,
                           methods: session.methods, exitStatus: exit)
    }
}

/// Parses "5s", "500ms", "2m", "1.5" (seconds).
enum ProbeDuration {
    static func parse(_ text: String) throws -> Double {
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000_001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value > 0 { return value * scale }
        }
        if let value = Double(text), value > 0 { return value }
        throw ValidationError("--duration '\(text)': expected a positive duration such as 5s, 500ms or 2m")
    }
}
