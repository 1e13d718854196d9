import Foundation
import Glibc
@testable import SurgeProbes
import XCTest

/// Every allocation method against the same expected numbers, which valgrind's "total heap usage"
/// confirms: glibc's nested calls (aligned allocators calling malloc, realloc(NULL, n) calling
/// malloc, realloc(p, 0) calling free) count once, as the program made them. And a figure that
/// cannot be measured is absent with a note, never 0.
final class AllocationFidelityTests: XCTestCase {
    /// One round of the edge cases: 5 allocations, 740 bytes, 5 releases (calibrate.c, edge_cases).
    static let rounds = 300
    static let expected = (allocs: 5.0 * Double(rounds), bytes: 740.0 * Double(rounds), frees: 5.0 * Double(rounds))

    func testValgrindAgreesWithTheExpectedEdgeCaseTotals() throws {
        try Requirements.tool("/usr/bin/valgrind", package: "valgrind")
        let program = try Fixture.build("alloc_edges")
        let run = try runProgram("/usr/bin/valgrind", [program, "\(Self.rounds)"])
        guard let line = run.errors.split(separator: "\n").first(where: { $0.contains("total heap usage") }) else {
            return XCTFail("no heap summary from valgrind: \(run.errors)")
        }
        let numbers = line.split(separator: ":").last!.split(separator: " ")
            .compactMap { Double($0.replacingOccurrences(of: ",", with: "")) }
        XCTAssertEqual(numbers, [Self.expected.allocs, Self.expected.frees, Self.expected.bytes], String(line))
    }

    /// The edge cases inside a window of a calibration target, counted by `method`.
    func edgeWindow(_ method: String) throws -> ProbeWindow {
        let preload = method == "preload" ? try AllocationPreload.prepare() : nil
        defer { preload?.remove() }
        let target = try CalibrationTarget(environment: preload?.environment ?? [:])
        defer { target.stop() }
        let session = try ProbeSession.attach(pid: target.pid, probes: [.allocations], preload: preload,
                                              forceMethod: [.allocations: method])
        defer { session.close() }
        try target.send("edges 7")  // attached, before the window
        try session.beginWindow()
        try target.send("edges \(Self.rounds)")
        return try session.endWindow()
    }

    func assertEdgeTotals(_ w: ProbeWindow, _ method: String) {
        XCTAssertEqual(w.totals["allocs"], Self.expected.allocs, "\(method): \(w.totals)")
        XCTAssertEqual(w.totals["alloc-bytes"], Self.expected.bytes, "\(method): \(w.totals)")
        XCTAssertEqual(w.totals["frees"], Self.expected.frees, "\(method): \(w.totals)")
        XCTAssertEqual(w.totals["allocs.posix_memalign"], Double(Self.rounds), method)
        XCTAssertEqual(w.totals["alloc-bytes.posix_memalign"], 64.0 * Double(Self.rounds), method)
        XCTAssertEqual(w.methods["allocs"], method)
    }

    func testPreloadCountsEdgeCasesAsValgrindDoes() throws {
        try Requirements.preloadLibrary()
        assertEdgeTotals(try edgeWindow("preload"), "preload")
    }

    func testUprobesCountEdgeCasesAsValgrindDoes() throws {
        try Requirements.root("uprobes on the target's libc")
        assertEdgeTotals(try edgeWindow("uprobe"), "uprobe")
    }

    /// The library Surge injects needs nothing but libc (and the dynamic loader).
    func testPreloadLibraryNeedsOnlyLibc() throws {
        try Requirements.preloadLibrary()
        try Requirements.tool("/usr/bin/readelf", package: "binutils")
        let library = try AllocationPreload.libraryPath()
        let dynamic = try runProgram("/usr/bin/readelf", ["-d", library]).output
        let needed = dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }
            .compactMap { $0.split(separator: "[").last?.dropLast() }.map(String.init)
        XCTAssertEqual(needed, ["libc.so.6"], dynamic)
    }

    /// A wrapper that loads the library, then execs the target without LD_PRELOAD: the target's
    /// own /proc/PID/maps decides, so its allocations are absent with a note, not 0, and the cheap
    /// pass does not fall back to uprobes.
    func testWrapperThatDropsThePreloadGivesANoteNotZero() throws {
        try Requirements.preloadLibrary()
        let wrapper = try Fixture.build("strip_preload")
        let preload = try AllocationPreload.prepare()
        defer { preload.remove() }
        let target = Process()
        target.executableURL = URL(fileURLWithPath: wrapper)
        target.arguments = [try CalibrationTarget.executable()]
        target.environment = ProcessInfo.processInfo.environment.merging(preload.environment) { $1 }
        let input = Pipe(), output = Pipe()
        target.standardInput = input
        target.standardOutput = output
        try target.run()
        defer { try? input.fileHandleForWriting.close(); target.waitUntilExit() }
        _ = output.fileHandleForReading.availableData  // "ready": the wrapper has exec'd
        let session = try ProbeSession.attach(pid: target.processIdentifier, probes: [.allocations, .cpu],
                                              preload: preload, allowCostly: false)
        defer { session.close() }
        XCTAssertNil(session.methods[.allocations], "no method in the speed pass: \(session.methods)")
        XCTAssertTrue(session.notices.contains { $0.contains("does not have libSurgeAllocCounter.so mapped") }, "\(session.notices)")
        try session.beginWindow()
        try input.fileHandleForWriting.write(contentsOf: Data("malloc 100 16\n".utf8))
        _ = output.fileHandleForReading.availableData
        let w = try session.endWindow()
        XCTAssertNil(w.totals["allocs"], "\(w.totals)")
        XCTAssertNotNil(w.totals["cpu-ns"])
        try input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
    }

    /// The same wrapper under `surge probe -- wrapper command`: allocations are absent with a note.
    func testCommandModeWrapperGivesANoteNotZero() throws {
        try Requirements.preloadLibrary()
        let wrapper = try Fixture.build("strip_preload")
        let run = try runProgram(try surgeExecutable(), ["probe", "--json", "--probes", "allocations,cpu", "--",
                                                         wrapper, try CalibrationTarget.executable()],
                                 input: "malloc 500 16\nsleep 30\nquit\n")
        let json = try probeJSON(run.output)
        let totals = json["totals"] as? [String: Double] ?? [:]
        let notices = json["notices"] as? [String] ?? []
        XCTAssertNil(totals["allocs"], "\(totals)")
        XCTAssertTrue(notices.contains { $0.contains("does not have libSurgeAllocCounter.so mapped") }, "\(notices)")
    }

    /// A program linked against jemalloc: the preload library (first in the search order) and
    /// uprobes on jemalloc (the allocator the target maps instead of glibc's) both count its calls.
    func testJemallocTargetIsCountedByEveryMethod() throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libjemalloc.so") else {
            throw Requirements.skip("libjemalloc-dev is not installed (Scripts/setup installs it)")
        }
        let program = try Fixture.build("jemalloc_target", flags: ["-ljemalloc"])
        var methods = ["preload"]
        if geteuid() == 0 { methods.append("uprobe") }
        for method in methods {
            let preload = method == "preload" ? try AllocationPreload.prepare() : nil
            defer { preload?.remove() }
            let target = Process()
            target.executableURL = URL(fileURLWithPath: program)
            target.environment = ProcessInfo.processInfo.environment.merging(preload?.environment ?? [:]) { $1 }
            let input = Pipe(), output = Pipe()
            target.standardInput = input
            target.standardOutput = output
            try target.run()
            defer { try? input.fileHandleForWriting.close(); target.waitUntilExit() }
            _ = output.fileHandleForReading.availableData
            let session = try ProbeSession.attach(pid: target.processIdentifier, probes: [.allocations], preload: preload,
                                                  forceMethod: [.allocations: method])
            defer { session.close() }
            try session.beginWindow()
            try input.fileHandleForWriting.write(contentsOf: Data("malloc 2000 72\n".utf8))
            _ = output.fileHandleForReading.availableData
            let w = try session.endWindow()
            XCTAssertEqual(w.totals["allocs.malloc"], 2000, "\(method): \(w.totals)")
            XCTAssertEqual(w.totals["alloc-bytes.malloc"], 2000 * 72, "\(method): \(w.totals)")
            XCTAssertEqual(w.totals["frees"], 2000, "\(method): \(w.totals)")
            if method == "uprobe" {
                XCTAssertTrue(session.notices.contains { $0.contains("libjemalloc") }, "\(session.notices)")
            }
            try input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        }
    }

    /// A dynamically linked Go program (nats-server) under `surge probe -- command`: it loads the
    /// preload library, but its heap is not malloc's, so the few calls counted would mislead.
    func testCommandModeGoProgramGivesANoteNotAFewAllocations() throws {
        try Requirements.tool("/usr/sbin/nats-server", package: "nats-server")
        try Requirements.preloadLibrary()
        let surge = Process()
        surge.executableURL = URL(fileURLWithPath: try surgeExecutable())
        surge.arguments = ["probe", "--json", "--probes", "allocations,cpu", "--", "/usr/sbin/nats-server", "-a", "127.0.0.1", "-p", "-1"]
        let output = Pipe()
        surge.standardOutput = output
        surge.standardError = FileHandle.nullDevice
        try surge.run()
        var server: Int32?
        for _ in 0..<100 where server == nil {
            usleep(20_000)
            server = ProcessTree.descendants(of: surge.processIdentifier).first { ProcFile.commandName($0) == "nats-server" }
        }
        usleep(300_000)
        if let server { kill(server, SIGTERM) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        surge.waitUntilExit()
        XCTAssertNotNil(server, "nats-server did not start under surge probe")
        let json = try probeJSON(String(decoding: data, as: UTF8.self))
        let totals = json["totals"] as? [String: Double] ?? [:]
        XCTAssertNil(totals["allocs"], "\(totals)")
        XCTAssertTrue((json["notices"] as? [String] ?? []).contains { $0.contains("Go program") }, "\(json)")
    }

    /// Uprobes follow the tree: a child started after attach is probed from the next window on.
    func testUprobesFollowAChildStartedAfterAttach() throws {
        try Requirements.root("uprobes")
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "sleep 0.3; \(try CalibrationTarget.executable()); true"]
        let input = Pipe(), output = Pipe()
        shell.standardInput = input
        shell.standardOutput = output
        try shell.run()
        defer { try? input.fileHandleForWriting.close(); shell.waitUntilExit() }
        let session = try ProbeSession.attach(pid: shell.processIdentifier, probes: [.allocations], preload: nil,
                                              forceMethod: [.allocations: "uprobe"])
        defer { session.close() }
        _ = output.fileHandleForReading.availableData  // "ready": the child exists now
        try session.beginWindow()
        try input.fileHandleForWriting.write(contentsOf: Data("malloc 500 32\n".utf8))
        _ = output.fileHandleForReading.availableData
        let w = try session.endWindow()
        XCTAssertEqual(w.totals["allocs.malloc"], 500, "\(w.totals) \(session.methods) \(session.notices)")
        XCTAssertEqual(w.totals["alloc-bytes.malloc"], 16_000)
        try input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
    }

    /// The speed pass never falls back to uprobes: without the preload library in the target,
    /// allocations are left to the profile pass, with a note.
    func testSpeedPassRefusesCostlyAllocationMethods() throws {
        try Requirements.root("uprobes would be possible as root; the speed pass must refuse them")
        let target = try CalibrationTarget()
        defer { target.stop() }
        let session = try ProbeSession.attach(pid: target.pid, probes: [.allocations, .cpu], preload: nil, allowCostly: false)
        defer { session.close() }
        XCTAssertNil(session.methods[.allocations])
        XCTAssertTrue(session.notices.contains { $0.contains("profile pass") }, "\(session.notices)")
    }
}
