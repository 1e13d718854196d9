import Foundation
import Glibc
@testable import SurgeProbes
import XCTest

/// Nothing stays attached after close, after `ProbeRegistry.closeAll()` or when the target dies.
final class CleanupTests: XCTestCase {
    func uprobeEvents() -> String {
        (try? String(contentsOfFile: "/sys/kernel/tracing/uprobe_events", encoding: .utf8)) ?? ""
    }

    func testCloseRemovesEveryProbe() throws {
        try Requirements.root("BPF programs, perf counters and uprobes")
        let baseline = probeDescriptors()
        let target = try CalibrationTarget()
        defer { target.stop() }
        let bpf = try ProbeSession.attach(pid: target.pid, probes: [.syscalls, .syscallLatency, .allocations, .cpu],
                                          preload: nil, forceMethod: [.syscalls: "bpf", .allocations: "uprobe"])
        let perf = try ProbeSession.attach(pid: target.pid, probes: [.syscalls], preload: nil, forceMethod: [.syscalls: "perf"])
        XCTAssertGreaterThan(probeDescriptors().count, baseline.count + 10)
        XCTAssertEqual(ProbeRegistry.openCount, 2)
        bpf.close()
        bpf.close()
        perf.close()
        XCTAssertEqual(probeDescriptors(), baseline)
        XCTAssertFalse(uprobeEvents().contains("surge_"), uprobeEvents())
        XCTAssertEqual(ProbeRegistry.openCount, 0)
        XCTAssertThrowsError(try bpf.beginWindow())
    }

    func testCloseAllDetachesOpenSessions() throws {
        try Requirements.root("BPF programs and uprobes")
        let baseline = probeDescriptors()
        let target = try CalibrationTarget()
        defer { target.stop() }
        let session = try ProbeSession.attach(pid: target.pid, probes: [.syscalls, .allocations], preload: nil)
        try session.beginWindow()
        ProbeRegistry.closeAll()
        XCTAssertEqual(probeDescriptors(), baseline)
        XCTAssertEqual(ProbeRegistry.openCount, 0)
        XCTAssertThrowsError(try session.endWindow())
    }

    func testTargetCrashLeavesNothingAttached() throws {
        try Requirements.root("BPF programs and uprobes")
        let baseline = probeDescriptors()
        let target = try CalibrationTarget()
        let session = try ProbeSession.attach(pid: target.pid, probes: [.syscalls, .allocations, .cpu], preload: nil)
        try session.beginWindow()
        kill(target.pid, SIGKILL)
        target.process.waitUntilExit()
        XCTAssertThrowsError(try session.endWindow()) { error in
            XCTAssertEqual(error as? ProbeError, .noSuchProcess(target.pid))
        }
        session.close()
        XCTAssertEqual(probeDescriptors(), baseline)
        XCTAssertFalse(uprobeEvents().contains("surge_"))
    }
}

final class NoticeTests: XCTestCase {
    func testNoticesAreToldOncePerRun() {
        let notice = "test notice \(UUID())"
        XCTAssertEqual(ProbeRegistry.unsaid([notice, notice]), [notice])
        XCTAssertEqual(ProbeRegistry.unsaid([notice]), [])
    }
}
