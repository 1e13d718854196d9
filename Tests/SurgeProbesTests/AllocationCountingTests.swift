import Foundation
import Glibc
@testable import SurgeProbes
import XCTest

/// The preload library and the uprobes count exactly the calibration target's malloc calls and
/// bytes inside the window, from the main thread and from a thread created inside the window.
final class AllocationCountingTests: XCTestCase {
    func window(method: String, mallocs: Int, size: Int) throws -> ProbeWindow {
        let preload = method == "preload" ? try AllocationPreload.prepare() : nil
        defer { preload?.remove() }
        let target = try CalibrationTarget(environment: preload?.environment ?? [:])
        defer { target.stop() }
        try target.send("malloc 11 13")  // before attach
        let session = try ProbeSession.attach(pid: target.pid, probes: [.allocations], preload: preload, forceMethod: [.allocations: method])
        defer { session.close() }
        XCTAssertEqual(session.methods[.allocations]?.rawValue, method)
        try target.send("malloc 7 5")  // attached, before the window
        try session.beginWindow()
        try target.send("malloc \(mallocs) \(size)")
        try target.send("thread-malloc \(mallocs) \(size)")
        let window = try session.endWindow()
        try target.send("malloc 19 3")  // after the window
        try session.beginWindow()
        let empty = try session.endWindow()
        XCTAssertEqual(empty.totals["allocs"], 0, "a window with no commands saw allocations: \(empty.totals)")
        return window
    }

    func testPreloadCountsExactMallocs() throws {
        try Requirements.preloadLibrary()
        let w = try window(method: "preload", mallocs: 10_000, size: 48)
        XCTAssertEqual(w.totals["allocs.malloc"], 20_000)
        XCTAssertEqual(w.totals["alloc-bytes.malloc"], 20_000 * 48)
        // Every malloc is freed; glibc's thread set-up and tear-down add a calloc (the new thread's
        // TLS vector) and a couple of frees through the public entry points.
        let frees = w.totals["frees"] ?? 0
        XCTAssertTrue((20_000...20_004).contains(frees), "frees \(frees): \(w.totals)")
        XCTAssertEqual(w.methods["allocs"], "preload")
    }

    func testUprobesCountExactMallocs() throws {
        try Requirements.root("uprobes on the target's libc")
        let w = try window(method: "uprobe", mallocs: 10_000, size: 48)
        XCTAssertEqual(w.totals["allocs.malloc"], 20_000)
        XCTAssertEqual(w.totals["alloc-bytes.malloc"], 20_000 * 48)
        XCTAssertGreaterThanOrEqual(w.totals["frees"] ?? 0, 20_000)
        XCTAssertEqual(w.methods["allocs"], "uprobe")
    }

    func testCallocBytesAreCountTimesSize() throws {
        try Requirements.preloadLibrary()
        let preload = try AllocationPreload.prepare()
        defer { preload.remove() }
        let target = try CalibrationTarget(environment: preload.environment)
        defer { target.stop() }
        let session = try ProbeSession.attach(pid: target.pid, probes: [.allocations], preload: preload)
        defer { session.close() }
        XCTAssertEqual(session.methods[.allocations], .preload, "with a preload the cheap method is chosen")
        try session.beginWindow()
        try target.send("calloc 300 40")
        let w = try session.endWindow()
        XCTAssertEqual(w.totals["allocs.calloc"], 300)
        XCTAssertEqual(w.totals["alloc-bytes.calloc"], 12_000)
    }

    func testUprobeAndPreloadAgree() throws {
        try Requirements.root("uprobes on the target's libc")
        try Requirements.preloadLibrary()
        let preload = try AllocationPreload.prepare()
        defer { preload.remove() }
        let target = try CalibrationTarget(environment: preload.environment)
        defer { target.stop() }
        let a = try ProbeSession.attach(pid: target.pid, probes: [.allocations], preload: preload, forceMethod: [.allocations: "preload"])
        let b = try ProbeSession.attach(pid: target.pid, probes: [.allocations], preload: preload, forceMethod: [.allocations: "uprobe"])
        defer { a.close(); b.close() }
        try a.beginWindow()
        try b.beginWindow()
        try target.send("malloc 5000 100")
        try target.send("calloc 500 10")
        let wa = try a.endWindow(), wb = try b.endWindow()
        XCTAssertEqual(wa.totals["allocs.malloc"], wb.totals["allocs.malloc"])
        XCTAssertEqual(wa.totals["alloc-bytes"], wb.totals["alloc-bytes"], "preload \(wa.totals) uprobe \(wb.totals)")
    }

    /// nats-server is a Go program: allocation counts are refused with a notice, not reported as 0.
    func testGoTargetIsReportedAsNotAllocatingThroughMalloc() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nats-server") else { throw XCTSkip("nats-server is not installed") }
        let nats = Process()
        nats.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
        nats.arguments = ["-a", "127.0.0.1", "-p", "-1"]
        nats.standardError = FileHandle.nullDevice
        nats.standardOutput = FileHandle.nullDevice
        try nats.run()
        defer { nats.terminate(); nats.waitUntilExit() }
        usleep(200_000)
        let session = try ProbeSession.attach(pid: nats.processIdentifier, probes: [.allocations, .cpu], preload: nil)
        defer { session.close() }
        XCTAssertTrue(session.notices.contains { $0.contains("Go program") && $0.contains("malloc") }, "\(session.notices)")
        try session.beginWindow()
        let w = try session.endWindow()
        XCTAssertNil(w.totals["allocs"])
        XCTAssertNotNil(w.totals["cpu-ns"])
    }

    func testProbeCostsSayWhichPassTheyNeed() {
        XCTAssertEqual(ProbeKind.costly([.syscalls, .allocations, .cpu], preloaded: true), [])
        XCTAssertEqual(ProbeKind.costly([.syscalls, .allocations, .syscallLatency], preloaded: false), [.allocations, .syscallLatency])
    }
}
