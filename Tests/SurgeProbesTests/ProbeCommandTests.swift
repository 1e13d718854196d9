import Foundation
import Glibc
import XCTest

/// End-to-end: the `surge probe` command against the calibration target, in both modes.
final class ProbeCommandTests: XCTestCase {
    func surgeExecutable() throws -> String {
        let calibrate = try CalibrationTarget.executable()
        let surge = (calibrate as NSString).deletingLastPathComponent + "/surge"
        guard FileManager.default.isExecutableFile(atPath: surge) else { throw XCTSkip("surge is not built next to \(calibrate); run `swift build`") }
        return surge
    }

    func decode(_ data: Data) throws -> [String: Any] {
        let text = String(decoding: data, as: UTF8.self)
        guard let start = text.firstIndex(of: "{"),
              let object = try JSONSerialization.jsonObject(with: Data(text[start...].utf8)) as? [String: Any] else {
            throw XCTSkip("no JSON in surge probe output: \(text)")
        }
        return object
    }

    /// `surge probe --json -- surge-calibrate` with the commands on stdin: the whole run is the window.
    func testCommandModeCountsTheWholeRun() throws {
        try Requirements.root("syscalls by name (BPF)")
        let surge = try surgeExecutable()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: surge)
        process.arguments = ["probe", "--json", "--", try CalibrationTarget.executable()]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data("write 400\nthread-write 100\nmalloc 250 24\nquit\n".utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let json = try decode(data)
        let totals = json["totals"] as? [String: Double] ?? [:]
        let methods = json["methods"] as? [String: String] ?? [:]
        XCTAssertEqual(totals["syscalls.write"], 500, "\(totals)")
        XCTAssertEqual(totals["syscalls.execve"], 1)
        XCTAssertEqual(totals["allocs.malloc"], 250)
        XCTAssertEqual(totals["alloc-bytes.malloc"], 6000)
        XCTAssertEqual(methods["allocs.malloc"], "preload")
        XCTAssertGreaterThan(totals["peak-RSS-B"] ?? 0, 0)
        XCTAssertEqual(json["exit_status"] as? Int, 0)
    }

    /// `surge probe --pid PID --duration 1s --json` while the commands run inside the window.
    func testPidModeCountsTheWindow() throws {
        try Requirements.root("syscalls by name and uprobes")
        let surge = try surgeExecutable()
        let target = try CalibrationTarget()
        defer { target.stop() }
        try target.send("write 50")  // before the window
        let process = Process()
        process.executableURL = URL(fileURLWithPath: surge)
        process.arguments = ["probe", "--pid", "\(target.pid)", "--duration", "1500ms", "--json", "--latency"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        var said = ""
        while !said.contains("attached") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { return XCTFail("surge probe exited before attaching: \(said)") }
            said += String(decoding: chunk, as: UTF8.self)
        }
        try target.send("write 300")
        try target.send("thread-malloc 40 1000")
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let json = try decode(data)
        let totals = json["totals"] as? [String: Double] ?? [:]
        XCTAssertEqual(totals["syscalls.write"], 300, "\(totals)")
        XCTAssertEqual(totals["allocs.malloc"], 40)
        XCTAssertEqual(totals["alloc-bytes.malloc"], 40_000)
        let histograms = json["latency_histograms_log2_ns"] as? [String: [Int]] ?? [:]
        XCTAssertEqual(histograms["write"]?.reduce(0, +), 300)
    }

    /// Without privileges (run as nobody with no capabilities), Surge says plainly what it cannot
    /// measure and why, and still counts what it can: allocations through the preload library.
    func testWithoutPrivilegesItSaysWhyAndFallsBack() throws {
        try Requirements.root("dropping privileges with setpriv")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw XCTSkip("setpriv (util-linux) is not installed") }
        let (surge, target) = try executablesNobodyCanRun()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                             surge, "probe", "--json", "--", target]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data("write 100\nmalloc 30 16\nquit\n".utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let json = try decode(data)
        let notices = json["notices"] as? [String] ?? []
        let totals = json["totals"] as? [String: Double] ?? [:]
        XCTAssertTrue(notices.contains { $0.contains("bpf") && $0.contains("needs root") }, "\(notices)")
        XCTAssertNil(totals["syscalls.write"], "no per-syscall counts without privileges")
        XCTAssertEqual(totals["allocs.malloc"], 30)
        XCTAssertEqual(totals["alloc-bytes.malloc"], 480)
    }

    /// `surge` (with the preload library beside it) and the calibration target, linked or copied into
    /// a fresh directory that any user may enter: the build directory may sit in one only root can
    /// enter (a clone under `mktemp -d`, mode 0700), where nobody's exec fails with status 127.
    private func executablesNobodyCanRun() throws -> (surge: String, target: String) {
        let surge = try surgeExecutable(), target = try CalibrationTarget.executable()
        let files = FileManager.default
        let dir = files.temporaryDirectory.appendingPathComponent("surge-nobody-\(UUID().uuidString)")
        try files.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        addTeardownBlock { try? files.removeItem(at: dir) }
        let library = (surge as NSString).deletingLastPathComponent + "/libSurgeAllocCounter.so"
        for source in [surge, target, library] where files.fileExists(atPath: source) {
            let copy = dir.appendingPathComponent((source as NSString).lastPathComponent)
            do {
                try files.linkItem(atPath: source, toPath: copy.path)
            } catch {
                try files.copyItem(atPath: source, toPath: copy.path)
            }
        }
        return (dir.appendingPathComponent("surge").path, dir.appendingPathComponent("surge-calibrate").path)
    }

    /// The command starts like a shell would start it: no blocked signals (Swift's worker threads
    /// block most of them, and a mask survives exec) and default dispositions.
    func testCommandStartsWithNoBlockedOrIgnoredSignals() throws {
        let surge = try surgeExecutable()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: surge)
        process.arguments = ["probe", "--probes", "cpu", "--", "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertTrue(text.contains("SigBlk:\t0000000000000000"), text)
        XCTAssertTrue(text.contains("SigIgn:\t0000000000000000"), text)
    }

    /// The command's peak RSS is its own (forked from the small spawn helper, not from Surge, whose
    /// pages wait4's ru_maxrss would keep): what GNU time reports for the same command.
    func testCommandPeakRSSExcludesSurge() throws {
        try Requirements.tool("/usr/bin/time", package: "time")
        let time = try runProgram("/usr/bin/time", ["-f", "%M", "/bin/true"])
        guard let reference = Double(time.errors.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return XCTFail("no peak from GNU time: \(time.errors)")
        }
        let run = try runProgram(try surgeExecutable(), ["probe", "--json", "--probes", "memory,cpu", "--", "/bin/true"])
        let json = try probeJSON(run.output)
        let totals = json["totals"] as? [String: Double] ?? [:]
        let peak = try XCTUnwrap(totals["peak-RSS-B"], "\(json)")
        XCTAssertEqual(peak / 1024, reference, accuracy: 256, "surge \(peak / 1024) KiB vs GNU time \(reference) KiB")
        XCTAssertEqual(json["notices"] as? [String], [])
    }

    func testBadDurationNamesTheValue() throws {
        let surge = try surgeExecutable()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: surge)
        process.arguments = ["probe", "--pid", "1", "--duration", "5 parsecs"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(text.contains("5 parsecs"), text)
    }
}
