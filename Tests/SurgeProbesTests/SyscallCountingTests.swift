import Foundation
import Glibc
@testable import SurgeProbes
import XCTest

/// Every syscall method counts exactly the calibration target's write() calls inside the window,
/// from the main thread (alive before the window) and from a thread created inside it, and nothing
/// done outside the window.
final class SyscallCountingTests: XCTestCase {
    func window(method: String, writes: Int, threadWrites: Int) throws -> ProbeWindow {
        let target = try CalibrationTarget()
        defer { target.stop() }
        try target.send("write 17")  // before attach
        let session = try ProbeSession.attach(pid: target.pid, probes: [.syscalls], preload: nil, forceMethod: [.syscalls: method])
        defer { session.close() }
        XCTAssertEqual(session.methods[.syscalls]?.rawValue, method)
        try target.send("write 23")  // attached, before the window
        try session.beginWindow()
        try target.send("write \(writes)")
        try target.send("thread-write \(threadWrites)")
        let window = try session.endWindow()
        try target.send("write 29")  // after the window
        let next = try { () throws -> ProbeWindow in
            try session.beginWindow()
            return try session.endWindow()
        }()
        XCTAssertNil(next.totals["syscalls.write"], "a window with no commands saw writes: \(next.totals)")
        return window
    }

    func testBPFCountsExactWrites() throws {
        try Requirements.root("counting syscalls with BPF")
        let w = try window(method: "bpf", writes: 1000, threadWrites: 500)
        XCTAssertEqual(w.totals["syscalls.write"], 1500)
        XCTAssertEqual(w.totals["syscalls.writev"], 2, "one writev answer per command")
        XCTAssertEqual(w.totals["syscalls.clone3"] ?? w.totals["syscalls.clone"], 1, "one thread created")
        XCTAssertEqual(w.methods["syscalls.write"], "bpf")
        XCTAssertGreaterThan(w.totals["syscalls"] ?? 0, 1502)
    }

    func testPerfCountsExactWrites() throws {
        try Requirements.root("counting syscalls with perf tracepoint counters")
        let w = try window(method: "perf", writes: 1000, threadWrites: 500)
        XCTAssertEqual(w.totals["syscalls.write"], 1500)
        XCTAssertEqual(w.totals["syscalls.writev"], 2)
        XCTAssertEqual(w.methods["syscalls"], "perf")
        XCTAssertGreaterThan(w.totals["syscalls"] ?? 0, 1502)
    }

    func testProcIOCountsWriteFamily() throws {
        let w = try window(method: "proc", writes: 1000, threadWrites: 500)
        XCTAssertEqual(w.totals["syscalls.write-family"], 1502, "1500 writes and two writev answers")
        XCTAssertNil(w.totals["syscalls"], "/proc/PID/io has no total; it must not be reported")
        XCTAssertEqual(w.methods["syscalls.write-family"], "proc")
    }

    func testBPFAndPerfAgreeOnTotal() throws {
        try Requirements.root("counting syscalls with BPF and perf")
        let target = try CalibrationTarget()
        defer { target.stop() }
        let bpf = try ProbeSession.attach(pid: target.pid, probes: [.syscalls], preload: nil, forceMethod: [.syscalls: "bpf"])
        let perf = try ProbeSession.attach(pid: target.pid, probes: [.syscalls], preload: nil, forceMethod: [.syscalls: "perf"])
        defer { bpf.close(); perf.close() }
        try bpf.beginWindow()
        try perf.beginWindow()
        try target.send("write 300")
        try target.send("thread-write 200")
        try target.send("malloc 1000 4096")
        usleep(50_000)  // let the target enter its next read() before either window closes
        let b = try bpf.endWindow(), p = try perf.endWindow()
        // The two windows open and close a few microseconds apart, so a syscall of the target's
        // idle loop can fall inside one and not the other; the writes themselves must agree exactly.
        XCTAssertEqual(b.totals["syscalls"] ?? -1, p.totals["syscalls"] ?? 0, accuracy: 2, "bpf \(b.totals) vs perf \(p.totals)")
    }

    /// Cross-check against the perf tool: `perf stat -e raw_syscalls:sys_enter -p PID` around the
    /// same commands counts what the BPF window counts (perf may also see the target's next read()).
    func testBPFMatchesPerfStat() throws {
        try Requirements.root("perf stat on another process")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/perf") else { throw XCTSkip("perf (linux-perf) is not installed") }
        let target = try CalibrationTarget()
        defer { target.stop() }
        let session = try ProbeSession.attach(pid: target.pid, probes: [.syscalls], preload: nil, forceMethod: [.syscalls: "bpf"])
        defer { session.close() }
        let perf = Process()
        perf.executableURL = URL(fileURLWithPath: "/usr/bin/perf")
        perf.arguments = ["stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p", "\(target.pid)"]
        let perfOutput = Pipe()
        perf.standardError = perfOutput
        try perf.run()
        usleep(700_000)  // perf stat prints nothing when it has attached; give it time
        try session.beginWindow()
        try target.send("write 2000")
        try target.send("thread-write 1000")
        let window = try session.endWindow()
        usleep(200_000)
        kill(perf.processIdentifier, SIGINT)
        perf.waitUntilExit()
        let text = String(decoding: perfOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.contains("raw_syscalls:sys_enter") }),
              let count = Double(line.split(separator: ",").first ?? "") else {
            return XCTFail("no count in perf stat output: \(text)")
        }
        let ours = window.totals["syscalls"] ?? -1
        XCTAssertGreaterThanOrEqual(count, ours, "perf stat \(count) vs bpf window \(ours)")
        XCTAssertLessThanOrEqual(count - ours, 2, "perf stat \(count) vs bpf window \(ours): only the target's next read() may differ")
    }

    func testSyscallLatencyHistogramCountsEveryWrite() throws {
        try Requirements.root("syscall latency with BPF")
        let target = try CalibrationTarget()
        defer { target.stop() }
        let session = try ProbeSession.attach(pid: target.pid, probes: [.syscallLatency], preload: nil)
        defer { session.close() }
        try session.beginWindow()
        try target.send("write 700")
        try target.send("thread-write 300")
        let w = try session.endWindow()
        XCTAssertEqual(w.latencyHistograms["write"]?.reduce(0, +), 1000)
        XCTAssertGreaterThan(w.totals["syscall-ns.write"] ?? 0, 1000, "1000 writes take more than 1 µs in total")
        XCTAssertEqual(w.methods["syscall-ns.write"], "bpf")
    }

    func testUnknownMethodIsAnErrorNamingIt() throws {
        let target = try CalibrationTarget()
        defer { target.stop() }
        XCTAssertThrowsError(try ProbeSession.attach(pid: target.pid, probes: [.syscalls], preload: nil, forceMethod: [.syscalls: "ptrace"])) {
            XCTAssertTrue("\($0)".contains("ptrace"), "\($0)")
        }
    }

    func testMissingProcessIsReported() {
        XCTAssertThrowsError(try ProbeSession.attach(pid: Int32.max, probes: [.cpu], preload: nil))
    }
}
