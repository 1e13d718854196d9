import Foundation
import Glibc
@testable import SurgeProbes
import XCTest

final class ProcessStatProbeTests: XCTestCase {
    func testCPUAndPeakRSSCoverTheWindowOnly() throws {
        let target = try CalibrationTarget()
        defer { target.stop() }
        try target.send("touch 96")  // a peak before the window that the window must not report
        let session = try ProbeSession.attach(pid: target.pid, probes: [.cpu, .memory, .contextSwitches], preload: nil)
        defer { session.close() }
        try session.beginWindow()
        try target.send("spin 200")
        try target.send("touch 32")
        for _ in 0..<3 { try target.send("sleep 5") }
        let w = try session.endWindow()
        XCTAssertGreaterThanOrEqual(w.totals["cpu-ns"] ?? 0, 190_000_000, "\(w.totals)")
        XCTAssertLessThan(w.totals["cpu-ns"] ?? .infinity, 2_000_000_000)
        XCTAssertGreaterThan(w.totals["cpu-user-ns"] ?? 0, w.totals["cpu-sys-ns"] ?? .infinity)
        let peak = w.totals["peak-RSS-B"] ?? 0
        XCTAssertGreaterThanOrEqual(peak, 32 * 1_048_576, "the 32 MiB touched inside the window")
        XCTAssertLessThan(peak, 90 * 1_048_576, "the 96 MiB peak before the window was reset")
        XCTAssertGreaterThanOrEqual(w.totals["page-faults-minor"] ?? 0, 32 * 256 / 2)
        XCTAssertGreaterThanOrEqual(w.totals["ctxsw-voluntary"] ?? 0, 3, "three sleeps")
        XCTAssertEqual(w.totals["threads"], 1)
        XCTAssertEqual(w.methods["peak-RSS-B"], "proc")
        let per = w.perOperation(2)
        XCTAssertEqual(per.metrics["cpu-ns/op"], (w.totals["cpu-ns"] ?? 0) / 2)
        XCTAssertEqual(per.metrics["peak-RSS-B"], peak)
        XCTAssertEqual(per.methods["cpu-ns/op"], "proc")
    }

    /// A thread that starts, switches and exits inside the window: /proc no longer has it at the
    /// window's end; the BPF counter (the default) and the perf counter (inherited by new threads)
    /// still have its count.
    func testContextSwitchesOfAThreadThatExitedAreCounted() throws {
        try Requirements.root("BPF and perf context-switch counters on another process")
        for method in ["bpf", "perf"] {
            let target = try CalibrationTarget()
            defer { target.stop() }
            let forced: [ProbeKind: String] = method == "bpf" ? [:] : [.contextSwitches: method]
            let session = try ProbeSession.attach(pid: target.pid, probes: [.contextSwitches], preload: nil,
                                                  forceMethod: forced)
            defer { session.close() }
            XCTAssertEqual(session.methods[.contextSwitches]?.rawValue, method)
            try session.beginWindow()
            try target.send("thread-sleep 20 1")
            let w = try session.endWindow()
            XCTAssertGreaterThanOrEqual(w.totals["ctxsw"] ?? 0, 20, "\(method): \(w.totals)")
            XCTAssertEqual(w.methods["ctxsw"], method)
            XCTAssertLessThan(w.totals["ctxsw-voluntary"] ?? 0, 20,
                              "/proc misses the exited thread's switches: \(w.totals)")
        }
    }

    /// BPF on sched_switch and perf's software counter count the same switches: a two-thread
    /// ping-pong of 5,000 round trips (up to 10,000 switches), both attached at once.
    func testBPFAndPerfContextSwitchCountsAgree() throws {
        try Requirements.root("BPF and perf context-switch counters on another process")
        let target = try CalibrationTarget()
        defer { target.stop() }
        let bpf = try ProbeSession.attach(pid: target.pid, probes: [.contextSwitches], preload: nil)
        defer { bpf.close() }
        let perf = try ProbeSession.attach(pid: target.pid, probes: [.contextSwitches], preload: nil,
                                           forceMethod: [.contextSwitches: "perf"])
        defer { perf.close() }
        XCTAssertEqual(bpf.methods[.contextSwitches], .bpf)
        XCTAssertEqual(perf.methods[.contextSwitches], .perf)
        try bpf.beginWindow()
        try perf.beginWindow()
        try target.send("bench-switch 5000")
        let p = try perf.endWindow().totals["ctxsw"] ?? 0
        let b = try bpf.endWindow().totals["ctxsw"] ?? 0
        XCTAssertGreaterThanOrEqual(p, 1_000, "a round trip need not switch when both threads run on their own CPU")
        // The windows close one after the other: the target's control path may switch in between.
        XCTAssertLessThanOrEqual(abs(b - p), max(20, p * 0.01), "bpf \(b) against perf \(p)")
    }

    func testPerOperationTopSyscalls() {
        var w = ProbeWindow()
        w.record("syscalls", 1000, .bpf)
        for (i, name) in ["write", "read", "futex", "epoll_wait", "sendto", "recvfrom", "mmap", "brk", "close", "openat"].enumerated() {
            w.record("syscalls.\(name)", Double(100 - i), .bpf)
        }
        w.record("allocs", 50, .preload)
        w.record("alloc-bytes", 5000, .preload)
        let per = w.perOperation(10)
        XCTAssertEqual(per.metrics["syscalls/op"], 100)
        XCTAssertEqual(per.metrics["syscalls.write/op"], 10)
        XCTAssertEqual(per.metrics["B/op"], 500)
        XCTAssertEqual(per.methods["allocs/op"], "preload")
        XCTAssertEqual(per.metrics.keys.filter { $0.hasPrefix("syscalls.") }.count, ProbeWindow.topSyscallCount)
        XCTAssertNil(per.metrics["syscalls.openat/op"], "only the top \(ProbeWindow.topSyscallCount) syscalls")
    }
}
