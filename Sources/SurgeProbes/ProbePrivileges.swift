import Foundation
import Glibc

/// What this process may use to observe another: root or the BPF/perfmon capabilities, and
/// whether tracefs is mounted (it is needed for tracepoint ids, not for raw tracepoints or uprobes
/// attached through the perf uprobe PMU).
public struct ProbePrivileges: Sendable {
    public var isRoot: Bool
    public var hasBPF: Bool
    public var hasPerfmon: Bool
    /// Where tracefs is mounted, if it is (after `ensureTracefs`).
    public var tracefs: String?

    static let capPerfmon = 38
    static let capBPF = 39
    static let capSysAdmin = 21

    /// Reads the effective capabilities of this process from /proc/self/status.
    public static func current() -> ProbePrivileges {
        let effective = (try? ProcFile.keyedValues("/proc/self/status")["CapEff"]).flatMap { UInt64($0, radix: 16) } ?? 0
        func has(_ bit: Int) -> Bool { effective & (1 << UInt64(bit)) != 0 }
        let admin = has(capSysAdmin)
        return ProbePrivileges(
            isRoot: geteuid() == 0,
            hasBPF: has(capBPF) || admin,
            hasPerfmon: has(capPerfmon) || admin,
            tracefs: Self.mountedTracefs()
        )
    }

    /// Why BPF cannot be used, or nil when it can.
    var bpfRefusal: String? {
        hasBPF && hasPerfmon ? nil : "needs root or CAP_BPF and CAP_PERFMON (this process has \(isRoot ? "root without them" : "neither"))"
    }

    /// Why perf tracepoint counters on another process cannot be used, or nil.
    var perfRefusal: String? {
        if !(hasPerfmon || isRoot) { return "needs root or CAP_PERFMON to count another process's tracepoints" }
        if tracefs == nil { return "tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing) and this process is not root to mount it" }
        return nil
    }

    static func mountedTracefs() -> String? {
        for path in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] where FileManager.default.fileExists(atPath: path + "/events/raw_syscalls") {
            return path
        }
        return nil
    }

    /// Mounts tracefs at /sys/kernel/tracing when it is not mounted and this process is root.
    /// Returns a notice when it mounted it (left mounted: other tools expect it there).
    package mutating func ensureTracefs() -> String? {
        if tracefs != nil { return nil }
        guard isRoot else { return nil }
        if mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nil) == 0 {
            tracefs = Self.mountedTracefs()
            return tracefs.map { "mounted tracefs at \($0) (needed for tracepoint ids)" }
        }
        return nil
    }

    /// The id of tracepoint `category/name` from tracefs.
    func tracepointID(_ category: String, _ name: String) throws(ProbeError) -> UInt64 {
        guard let root = tracefs else { throw .unavailable(method: "perf", reason: "tracefs is not mounted") }
        let path = "\(root)/events/\(category)/\(name)/id"
        let text = try ProcFile.read(path).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let id = UInt64(text) else { throw .unexpectedFormat(path: path, detail: "expected a number, found '\(text)'") }
        return id
    }
}
