import Foundation
import Glibc
@testable import SurgeProbes
import XCTest

/// One process policy for every syscall method: the target's whole tree (threads created inside
/// the window, children forked inside it) by default, the main process with `mainOnly`; and in
/// command mode counting starts at the command's execve, as strace -f counts it.
final class SyscallTreeTests: XCTestCase {
    func window(_ method: String, _ command: String, mainOnly: Bool = false) throws -> ProbeWindow {
        let target = try CalibrationTarget()
        defer { target.stop() }
        let session = try ProbeSession.attach(pid: target.pid, probes: [.syscalls], preload: nil,
                                              forceMethod: [.syscalls: method], mainOnly: mainOnly)
        defer { session.close() }
        try target.send("write 5")
        try session.beginWindow()
        try target.send(command)
        return try session.endWindow()
    }

    func testThreadPoolCreatedInsideTheWindowIsCountedExactly() throws {
        try Requirements.root("bpf and perf syscall counters")
        for method in ["bpf", "perf"] {
            let w = try window(method, "pool-write 6 700")
            XCTAssertEqual(w.totals["syscalls.write"], 4200, "\(method): \(w.totals)")
        }
    }

    func testForkedChildrenAreCountedByEveryMethod() throws {
        try Requirements.root("bpf and perf syscall counters")
        for method in ["bpf", "perf"] {
            let w = try window(method, "fork-write 3 900")
            XCTAssertEqual(w.totals["syscalls.write"], 2700, "\(method): \(w.totals)")
            if method == "bpf" {
                let children = w.processes.filter { $0.value["syscalls"] ?? 0 >= 900 }
                XCTAssertEqual(children.count, 3, "per-process breakdown: \(w.processes)")
            }
        }
    }

    func testSyscallLatencyTimesForkedChildren() throws {
        try Requirements.root("bpf syscall latency")
        let target = try CalibrationTarget()
        defer { target.stop() }
        let session = try ProbeSession.attach(pid: target.pid, probes: [.syscallLatency], preload: nil)
        defer { session.close() }
        try session.beginWindow()
        try target.send("fork-write 2 400")
        try target.send("pool-write 2 100")
        let w = try session.endWindow()
        XCTAssertEqual(w.latencyHistograms["write"]?.reduce(0, +), 1000, "\(w.latencyHistograms.keys.sorted())")
    }

    func testMainOnlyLeavesChildrenOut() throws {
        try Requirements.root("bpf and perf syscall counters")
        for method in ["bpf", "perf"] {
            let w = try window(method, "fork-write 3 900", mainOnly: true)
            XCTAssertNil(w.totals["syscalls.write"], "\(method): the children's writes were counted: \(w.totals)")
            let threads = try window(method, "pool-write 2 100", mainOnly: true)
            XCTAssertEqual(threads.totals["syscalls.write"], 200, "\(method): threads are part of the process")
        }
    }

    /// Children alive before attach (an nginx master's workers) are part of the tree too.
    func testChildrenAliveAtAttachAreMeasured() throws {
        try Requirements.root("bpf syscall counter")
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/bin/sh")
        parent.arguments = ["-c", "/bin/sh -c 'sleep 0.4; i=0; while [ $i -lt 50 ]; do /bin/true; i=$((i+1)); done' & wait"]
        try parent.run()
        defer { parent.waitUntilExit() }
        usleep(150_000)
        let session = try ProbeSession.attach(pid: parent.processIdentifier, probes: [.syscalls, .cpu], preload: nil,
                                              forceMethod: [.syscalls: "bpf"])
        defer { session.close() }
        try session.beginWindow()
        while ProcessTree.descendants(of: parent.processIdentifier).count > 0 { usleep(20_000) }
        let w = try session.endWindowTolerantOfExit()
        XCTAssertEqual(w.totals["syscalls.execve"], 50, "the child shell's 50 /bin/true: \(w.totals)")
    }

    /// `surge probe -- /bin/true` counts from the execve: what strace -f counts, every time (the
    /// gate used to let Surge's own pre-exec work in about 40% of runs: 97 instead of 30).
    func testCommandModeCountsFromExecveAsStraceDoes() throws {
        try Requirements.root("bpf syscall counter")
        try Requirements.tool("/usr/bin/strace", package: "strace")
        let strace = try runProgram("/usr/bin/strace", ["-f", "-c", "/bin/true"])
        guard let line = strace.errors.split(separator: "\n").last(where: { $0.contains("total") }),
              let reference = Self.calls(line) else {
            return XCTFail("no total in strace -c output: \(strace.errors)")
        }
        let surge = try surgeExecutable()
        for attempt in 1...8 {
            let run = try runProgram(surge, ["probe", "--json", "--probes", "syscalls", "--", "/bin/true"])
            let totals = try probeJSON(run.output)["totals"] as? [String: Double] ?? [:]
            // strace -c leaves out exit_group, which never returns.
            XCTAssertEqual(totals["syscalls"], reference + 1, "run \(attempt): \(totals)")
            XCTAssertEqual(totals["syscalls.exit_group"], 1)
            XCTAssertNil(totals["syscalls.rt_sigaction"], "run \(attempt): Surge's pre-exec signal reset was counted")
        }
    }

    /// The calls column of a `strace -c` row (% time, seconds, usecs/call, calls, errors, name).
    static func calls(_ row: Substring) -> Double? {
        let numbers = row.split(separator: " ").compactMap { Double($0) }
        return numbers.count >= 4 ? numbers[3] : nil
    }

    /// A forking command: bpf and perf count the same tree as strace -f.
    func testCommandModeForkingProgramMatchesStraceF() throws {
        try Requirements.root("bpf and perf syscall counters")
        try Requirements.tool("/usr/bin/strace", package: "strace")
        let calibrate = try CalibrationTarget.executable()
        let input = "fork-write 4 2500\nwrite 100\nquit\n"
        let strace = try runProgram("/usr/bin/strace", ["-f", "-e", "trace=write", "-c", calibrate], input: input)
        guard let line = strace.errors.split(separator: "\n").first(where: { $0.hasSuffix(" write") }),
              let writes = Self.calls(line) else {
            return XCTFail("no write row in strace -c output: \(strace.errors)")
        }
        XCTAssertEqual(writes, 10_100)
        for method in ["bpf", "perf"] {
            let run = try runProgram(try surgeExecutable(), ["probe", "--json", "--probes", "syscalls", "--method", "syscalls=\(method)",
                                                             "--", calibrate], input: input)
            let totals = try probeJSON(run.output)["totals"] as? [String: Double] ?? [:]
            XCTAssertEqual(totals["syscalls.write"], writes, "\(method): \(totals)")
        }
    }
}
