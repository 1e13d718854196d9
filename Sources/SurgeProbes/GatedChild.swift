import CSurgeSys
import Glibc

/// A command started as a forked child held before exec, so probes can be attached to its pid
/// before it runs its first instruction (syscall counters follow it through exec). `release()` lets
/// it exec; `wait()` reaps it and returns its exit status and rusage (its whole life).
///
/// The command is forked from surge-spawn-gate (a tiny static helper, built on first need) when it
/// can be, so its peak RSS and CPU hold nothing of Surge; else from Surge itself, and `notice` says
/// what that costs the figures.
public final class GatedChild {
    public let pid: Int32
    private var gate: Int32
    /// The helper's report socket and pid, when the command was forked from it.
    private var helper: (report: Int32, pid: pid_t)?
    /// True once the helper's exit report has been read.
    private var exitReported = false
    /// Set when the command had to be forked from Surge itself.
    public private(set) var notice: String?

    /// Forks the child; `command[0]` is searched in PATH when it has no slash. `stdio`: three
    /// descriptors (-1 to inherit Surge's) for its standard input, output and error; `directory`:
    /// its working directory (Surge's when nil).
    public init(
        command: [String], environment: [String: String], stdio: [Int32] = [-1, -1, -1], directory: String? = nil
    ) throws(ProbeError) {
        guard let name = command.first else { throw .invalidArgument("no command to run") }
        guard stdio.count == 3 else { throw .invalidArgument("stdio needs three descriptors") }
        let first = Self.resolve(name, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        var cArgs = command.map { strdup($0) } + [nil]
        var cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var gate: Int32 = -1
        var pid: pid_t = -1
        do throws(ProbeError) {
            let helperPath = try SpawnGateHelper.artifact.path()
            var report: Int32 = -1
            var helperPid: pid_t = -1
            pid = surge_spawn_via_helper(helperPath, first, &cArgs, &cEnv, stdio, directory, &gate, &report, &helperPid)
            if pid > 0 { helper = (report, helperPid) } else { throw ProbeError.errno("start \(helperPath)") }
        } catch {
            notice = "peak RSS and CPU include Surge's pre-exec copy of itself (\(error))"
            pid = surge_spawn_gated(first, &cArgs, &cEnv, stdio, directory, &gate)
        }
        guard pid > 0 else { throw .errno("fork for '\(first)'") }
        self.pid = pid
        self.gate = gate
        var clock = clockid_t()
        var ts = timespec()
        if clock_getcpuclockid(pid, &clock) == 0, clock_gettime(clock, &ts) == 0 {
            preExecCPUNanoseconds = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        }
        if let status = try? ProcFile.keyedValues("/proc/\(pid)/status"), let hwm = status["VmHWM"].flatMap(UInt64.init) {
            preExecPeakBytes = hwm * 1024
        }
    }

    /// CPU the child spent before exec (fork, resetting signal dispositions), subtracted from its
    /// rusage so the command's CPU is its own.
    public private(set) var preExecCPUNanoseconds: UInt64 = 0
    /// The child's peak RSS before exec: a copy of Surge's pages, which wait4's ru_maxrss keeps
    /// (the kernel carries the pre-exec high-water mark across exec).
    public private(set) var preExecPeakBytes: UInt64 = 0

    /// True once the child has exited (not reaped).
    public var hasExited: Bool {
        if let helper { return surge_helper_report_exit(helper.report, 0) != 0 }
        return surge_has_exited(pid) != 0
    }

    /// The executable for `name`, searched in `path` when it has no slash (so the child's only
    /// exec is the one that succeeds); `name` itself when nothing is found.
    static func resolve(_ name: String, path: String) -> String {
        if name.contains("/") { return name }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return name
    }

    /// Lets the child exec the command.
    public func release() {
        if gate >= 0 {
            _ = surge_gate_release(gate)
            gate = -1
        }
    }

    /// Waits until the child has exited, without reaping it, so its /proc figures can still be
    /// read (pass it to `ProbeSession.endWindow(reaping:)`, which reaps it).
    public func waitForExit() throws(ProbeError) {
        if let helper {
            if exitReported { return }
            guard surge_helper_report_exit(helper.report, 1) == 1 else { throw .errno("wait for \(pid) through surge-spawn-gate") }
            exitReported = true
            return
        }
        guard surge_wait_exited(pid) == 0 else { throw .errno("waitid(\(pid))") }
    }

    /// Exit status once reaped: the code, or 128 + signal number.
    public private(set) var exitStatus: Int32?

    /// Waits for the child to exit and reaps it. Exit status: the code, or 128 + signal.
    public func wait() throws(ProbeError) -> (status: Int32, usage: rusage) {
        var status: Int32 = 0
        var usage = rusage()
        if let helper {
            try waitForExit()
            self.helper = nil
            guard surge_helper_reap(helper.report, helper.pid, &status, &usage) == 0 else {
                throw .errno("reap \(pid) through surge-spawn-gate")
            }
        } else {
            guard surge_wait4(pid, &status, &usage) == pid else { throw .errno("wait4(\(pid))") }
        }
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        exitStatus = exit
        return (exit, usage)
    }

    /// Kills a child that has not been released (attach failed) and reaps it.
    public func abandon() {
        kill(pid, SIGKILL)
        release()
        _ = try? wait()
    }

    deinit {
        if gate >= 0 { Glibc.close(gate) }
        if let helper { Glibc.close(helper.report) }
    }
}
