import CSurgeSys
import Glibc

/// CPU time, memory, context switches, page faults and threads of a process, from /proc (no
/// privileges beyond reading the target's entries; resetting the peak RSS needs the same owner
/// or root).
///
/// - CPU: `clock_gettime` on the process CPU clock (ns, all threads, exited ones included) for
///   `cpu-ns`; the user/system split from /proc/PID/stat (clock ticks, 10 ms resolution) scaled to
///   that total.
/// - Peak RSS: VmHWM after writing 5 to /proc/PID/clear_refs at window start.
/// - Context switches: voluntary and involuntary summed over /proc/PID/task/*/status — live threads
///   only, so a thread that starts and exits inside a window is missed. `ProbeSession` replaces the
///   total (`ctxsw`) with a count over all threads, exited ones included, when it may open one
///   (`BPFContextSwitchCounter`, else a perf software counter).
/// - Page faults and threads: /proc/PID/stat (whole process).
final class ProcessStatProbe {
    struct Sample {
        var cpuNanoseconds: UInt64 = 0
        var userTicks: UInt64 = 0
        var systemTicks: UInt64 = 0
        var minorFaults: UInt64 = 0
        var majorFaults: UInt64 = 0
        var threads: UInt64 = 0
        /// CPU of reaped children (cutime + cstime), clock ticks.
        var childTicks: UInt64 = 0
        var voluntary: [Int32: UInt64] = [:]
        var involuntary: [Int32: UInt64] = [:]
    }

    let pid: Int32
    private(set) var notices: [String] = []
    private var peakResetWorks = true
    private let clock: clockid_t?

    init(pid: Int32) throws(ProbeError) {
        self.pid = pid
        guard ProcFile.processExists(pid) else { throw .noSuchProcess(pid) }
        var id = clockid_t()
        clock = clock_getcpuclockid(pid, &id) == 0 ? id : nil
        if clock == nil { notices.append("cpu: no CPU clock for pid \(pid); using /proc/\(pid)/stat ticks (10 ms resolution)") }
    }

    /// Resets VmHWM to the current RSS so the next `peakRSS()` is the window's peak.
    func resetPeak() {
        do {
            try ProcFile.write("/proc/\(pid)/clear_refs", "5")
        } catch {
            if peakResetWorks {
                notices.append("memory: cannot reset the peak RSS of pid \(pid) (\(error)); peak-RSS-B is the peak since the process started")
            }
            peakResetWorks = false
        }
    }

    /// (VmHWM, VmRSS) in bytes.
    func memory() throws(ProbeError) -> (peak: UInt64, current: UInt64) {
        let status = try ProcFile.keyedValues("/proc/\(pid)/status")
        guard let hwm = status["VmHWM"].flatMap(UInt64.init), let rss = status["VmRSS"].flatMap(UInt64.init) else {
            throw .unexpectedFormat(path: "/proc/\(pid)/status", detail: "no VmHWM/VmRSS lines (the process may have exited)")
        }
        return (hwm * 1024, rss * 1024)
    }

    func sample() throws(ProbeError) -> Sample {
        var s = Sample()
        let path = "/proc/\(pid)/stat"
        let stat: String
        do { stat = try ProcFile.read(path) } catch { throw .noSuchProcess(pid) }
        guard let close = stat.lastIndex(of: ")") else { throw .unexpectedFormat(path: path, detail: "no ')' after the command name") }
        // Fields after "pid (comm) ": state is field 3; utime 14, stime 15, minflt 10, majflt 12, num_threads 20.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) throws(ProbeError) -> UInt64 {
            let index = number - 3
            guard index < fields.count, let value = UInt64(fields[index]) else {
                throw .unexpectedFormat(path: path, detail: "field \(number) is missing or not a number")
            }
            return value
        }
        s.minorFaults = try field(10)
        s.majorFaults = try field(12)
        s.userTicks = try field(14)
        s.systemTicks = try field(15)
        s.threads = try field(20)
        s.childTicks = try field(16) + field(17)
        if let clock {
            var ts = timespec()
            if clock_gettime(clock, &ts) == 0 {
                s.cpuNanoseconds = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
            }
        }
        if s.cpuNanoseconds == 0 {
            s.cpuNanoseconds = (s.userTicks + s.systemTicks) * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
        }
        for tid in (try? ProcFile.threads(of: pid)) ?? [] {
            guard let status = try? ProcFile.keyedValues("/proc/\(pid)/task/\(tid)/status") else { continue }
            s.voluntary[tid] = status["voluntary_ctxt_switches"].flatMap(UInt64.init)
            s.involuntary[tid] = status["nonvoluntary_ctxt_switches"].flatMap(UInt64.init)
        }
        return s
    }

    /// Window figures from two samples. Context switches of a thread count from the first sample
    /// that saw it (0 for threads created inside the window).
    static func record(from a: Sample, to b: Sample, into window: inout ProbeWindow, cpu: Bool, contextSwitches: Bool) {
        if cpu {
            let total = b.cpuNanoseconds &- a.cpuNanoseconds
            let user = b.userTicks &- a.userTicks, system = b.systemTicks &- a.systemTicks
            window.record("cpu-ns", Double(total), .proc)
            // The split needs at least one clock tick in the window; without one it is unknown.
            if user + system > 0 {
                let userShare = Double(user) / Double(user + system)
                window.record("cpu-user-ns", (Double(total) * userShare).rounded(), .proc)
                window.record("cpu-sys-ns", (Double(total) * (1 - userShare)).rounded(), .proc)
            }
            window.record("threads", Double(b.threads), .proc)
        }
        window.record("page-faults-minor", Double(b.minorFaults &- a.minorFaults), .proc)
        window.record("page-faults-major", Double(b.majorFaults &- a.majorFaults), .proc)
        if contextSwitches {
            func delta(_ before: [Int32: UInt64], _ after: [Int32: UInt64]) -> UInt64 {
                after.reduce(0) { sum, entry in sum + (entry.value &- min(entry.value, before[entry.key] ?? 0)) }
            }
            let voluntary = delta(a.voluntary, b.voluntary), involuntary = delta(a.involuntary, b.involuntary)
            window.record("ctxsw-voluntary", Double(voluntary), .proc)
            window.record("ctxsw-involuntary", Double(involuntary), .proc)
            window.record("ctxsw", Double(voluntary + involuntary), .proc)
        }
    }

    static var nanosecondsPerTick: UInt64 { 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK))) }

    /// Window figures of a child that has been reaped, from its wait4 rusage (whole lifetime: the
    /// window of `surge probe -- command`). rusage's context switches include exited threads.
    /// `preExecCPU`, the child's CPU before its exec (Surge's fork), is taken off the system time.
    static func record(usage: rusage, into window: inout ProbeWindow, preExecCPU: UInt64 = 0) {
        let user = UInt64(usage.ru_utime.tv_sec) * 1_000_000_000 + UInt64(usage.ru_utime.tv_usec) * 1000
        let rawSystem = UInt64(usage.ru_stime.tv_sec) * 1_000_000_000 + UInt64(usage.ru_stime.tv_usec) * 1000
        let system = rawSystem >= preExecCPU ? rawSystem - preExecCPU : 0
        window.record("cpu-ns", Double(user + system), .proc)
        window.record("cpu-user-ns", Double(user), .proc)
        window.record("cpu-sys-ns", Double(system), .proc)
        window.record("peak-RSS-B", Double(usage.ru_maxrss) * 1024, .proc)
        window.record("page-faults-minor", Double(usage.ru_minflt), .proc)
        window.record("page-faults-major", Double(usage.ru_majflt), .proc)
        window.record("ctxsw-voluntary", Double(usage.ru_nvcsw), .proc)
        window.record("ctxsw-involuntary", Double(usage.ru_nivcsw), .proc)
        window.record("ctxsw", Double(usage.ru_nvcsw + usage.ru_nivcsw), .proc)
    }
}
