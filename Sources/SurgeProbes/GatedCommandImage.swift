import Glibc
import Synchronization

/// What `surge probe -- command` learns about the command while it runs, from its own /proc:
/// whether the preload library is mapped in the image that runs (a wrapper may exec the real
/// program without it), whether that image is a Go program (its heap is not malloc's), and its
/// VmHWM. The gated child is a copy of Surge until its exec, and right after exec the dynamic
/// loader has not mapped LD_PRELOAD yet: neither moment says anything about the command.
final class GatedCommandImage: Sendable {
    let pid: Int32
    /// Device and inode of the child's executable before its exec (Surge's own).
    private let preExec: (dev: UInt64, inode: UInt64)?

    private struct Seen {
        var preloadMapped = false
        var isGo = false
        var name = ""
        var valid = false
        var peak: UInt64 = 0
    }
    private let seen = Mutex(Seen())

    init(pid: Int32) {
        self.pid = pid
        var image = stat()
        preExec = stat("/proc/\(pid)/exe", &image) == 0 ? (UInt64(image.st_dev), UInt64(image.st_ino)) : nil
    }

    /// Looks at the command's current image; harmless once it has exited.
    func observe() {
        guard let maps = try? ProcFile.read("/proc/\(pid)/maps"), !maps.isEmpty else { return }
        var now = stat()
        guard stat("/proc/\(pid)/exe", &now) == 0 else { return }
        let mapped = maps.contains("/" + AllocationPreload.libraryName)
        if let preExec, preExec == (UInt64(now.st_dev), UInt64(now.st_ino)), !mapped { return }
        let loading = maps.contains("/ld-linux") && !maps.contains("/libc.so") && !maps.contains("/libc-")
        let status = try? ProcFile.keyedValues("/proc/\(pid)/status")
        let hwm = (status?["VmHWM"].flatMap(UInt64.init) ?? 0) * 1024
        let isGo = TargetBinary.sectionNames(of: "/proc/\(pid)/exe").contains { $0 == ".go.buildinfo" || $0 == ".note.go.buildid" }
        let name = ProcFile.commandName(pid)
        seen.withLock { seen in
            if !loading {
                seen.peak = max(seen.peak, hwm)
                // Once an image of this name was seen to be Go, a later look that could not read its
                // sections (the process exiting, /proc racing) does not undo it.
                let go = isGo || (seen.isGo && seen.name == name)
                seen = Seen(preloadMapped: mapped, isGo: go, name: name, valid: true, peak: seen.peak)
            }
        }
    }

    /// Why the preload counts must not be reported, or nil. `loaded`: some process loaded the
    /// library (the answer when the command exited before it could be looked at).
    func allocationRefusal(loaded: Bool) -> String? {
        let seen = seen.withLock { $0 }
        guard seen.valid else {
            return loaded ? nil : "allocations are not reported: process \(pid) never loaded \(AllocationPreload.libraryName) "
                + "(a static binary, or LD_PRELOAD was dropped)"
        }
        if seen.isGo {
            return "allocations are not reported: \(seen.name) (pid \(pid)) is a Go program; its heap does not allocate through malloc"
        }
        if !seen.preloadMapped { return "allocations are not reported: " + PreloadAllocationCounter.notMappedReason(pid: pid) }
        return nil
    }

    /// wait4's ru_maxrss is at least the child's pre-exec peak (`preExecPeak`, kept across exec);
    /// within 64 KiB of it (the pages touched between the gate and exec), it says nothing about the
    /// command: use the VmHWM last seen, or leave the figure out. Returns the notice to give.
    func correctPeak(in window: inout ProbeWindow, preExecPeak: UInt64) -> String? {
        guard let maxRSS = window.totals["peak-RSS-B"], maxRSS <= Double(preExecPeak + 64 << 10) else { return nil }
        let peak = seen.withLock { $0.peak }
        let kib = preExecPeak / 1024
        if peak > 0 {
            window.totals["peak-RSS-B"] = Double(peak)
            return "memory: peak-RSS-B is the command's VmHWM as last sampled while it ran "
                + "(wait4's ru_maxrss holds its pre-exec \(kib) KiB)"
        }
        window.totals["peak-RSS-B"] = nil
        window.methods["peak-RSS-B"] = nil
        return "memory: peak RSS is not reported: the command stayed below its pre-exec \(kib) KiB, "
            + "which wait4's ru_maxrss includes, and exited before it could be sampled"
    }
}
