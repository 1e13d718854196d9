import Foundation
import Glibc
@testable import SurgeProbes
import XCTest

/// A running `surge-calibrate` process driven over its stdin/stdout (see
/// Sources/SurgeCalibrate/calibrate.c for the commands).
final class CalibrationTarget {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered: [UInt8] = []
    var pid: Int32 { process.processIdentifier }

    static func executable() throws -> String {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var dir = (exe as NSString).deletingLastPathComponent
        for _ in 0..<3 {
            let path = "\(dir)/surge-calibrate"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
            dir = (dir as NSString).deletingLastPathComponent
        }
        throw XCTSkip("surge-calibrate is not built next to the test bundle (\(exe)); run `swift build` first")
    }

    init(environment extra: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let ready = try readLine()
        guard ready.hasPrefix("ready ") else { throw ProbeError.misuse("surge-calibrate said '\(ready)' instead of ready") }
    }

    /// Sends one command and returns the value after "done" (0 when there is none).
    @discardableResult
    func send(_ command: String) throws -> UInt64 {
        try input.fileHandleForWriting.write(contentsOf: Data((command + "\n").utf8))
        let answer = try readLine()
        guard answer.hasPrefix("done") else { throw ProbeError.misuse("surge-calibrate answered '\(answer)' to '\(command)'") }
        return UInt64(answer.dropFirst(4).trimmingCharacters(in: .whitespaces)) ?? 0
    }

    private func readLine() throws -> String {
        let fd = output.fileHandleForReading.fileDescriptor
        while true {
            if let newline = buffered.firstIndex(of: 10) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 256)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw ProbeError.misuse("surge-calibrate closed its output") }
            buffered.append(contentsOf: chunk[0..<n])
        }
    }

    func stop() {
        if process.isRunning {
            try? input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }
}

enum Requirements {
    /// Skips with `reason`, or fails when SURGE_REQUIRE_ALL=1 (CI: every test must run).
    static func skip(_ reason: String) -> Error {
        if ProcessInfo.processInfo.environment["SURGE_REQUIRE_ALL"] == "1" {
            return ProbeError.misuse("required by SURGE_REQUIRE_ALL=1 but unavailable: \(reason)")
        }
        return XCTSkip(reason)
    }

    /// Skips unless this process is root (BPF, perf counters on another process, tracefs).
    static func root(_ what: String) throws {
        if geteuid() != 0 { throw skip("\(what) needs root (or CAP_BPF and CAP_PERFMON); this test runs as uid \(geteuid())") }
    }

    /// Skips unless the preload library is there or can be built.
    static func preloadLibrary() throws {
        do { _ = try AllocationPreload.libraryPath() } catch { throw skip("\(error)") }
    }

    /// Skips unless `path` is an executable (a tool installed by Scripts/setup).
    static func tool(_ path: String, package: String) throws {
        if !FileManager.default.isExecutableFile(atPath: path) { throw skip("\(path) is not installed (Debian package \(package))") }
    }
}

/// The C calibration programs of Tests/SurgeProbesTests/Fixtures, compiled with the system C
/// compiler into a temporary directory once per test process.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    private static let output = NSTemporaryDirectory() + "surge-probe-fixtures-\(getpid())"

    /// The executable built from Fixtures/`name`.c with `flags` (e.g. -ljemalloc).
    static func build(_ name: String, flags: [String] = []) throws -> String {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let executable = "\(output)/\(name)"
        if FileManager.default.isExecutableFile(atPath: executable) { return executable }
        do {
            try CCompiler.run(["-O2", "-o", executable, "\(directory)/\(name).c"] + flags)
        } catch {
            throw Requirements.skip("cannot build fixture \(name): \(error)")
        }
        return executable
    }
}

/// Runs a program to its end, feeding it `input`; returns (status, stdout, stderr).
@discardableResult
func runProgram(_ path: String, _ arguments: [String], input: String = "", environment: [String: String]? = nil) throws
    -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let errorsPath = NSTemporaryDirectory() + "surge-probe-test-stderr-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    _ = FileManager.default.createFile(atPath: errorsPath, contents: nil)
    defer { unlink(errorsPath) }
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = FileHandle(forWritingAtPath: errorsPath)
    try process.run()
    try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errors = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), errors)
}

/// File descriptors of this process that hold BPF objects or perf events (from /proc/self/fd links).
func probeDescriptors() -> [String] {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.compactMap { fd in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)") else { return nil }
        return target.contains("bpf") || target.contains("perf_event") ? target : nil
    }
}

/// The JSON object `surge probe --json` printed (after any other output).
func probeJSON(_ text: String) throws -> [String: Any] {
    guard let start = text.firstIndex(of: "{"),
          let object = try JSONSerialization.jsonObject(with: Data(text[start...].utf8)) as? [String: Any] else {
        throw ProbeError.misuse("no JSON in surge probe output: \(text)")
    }
    return object
}

/// `surge` built next to the test bundle.
func surgeExecutable() throws -> String {
    let calibrate = try CalibrationTarget.executable()
    let surge = (calibrate as NSString).deletingLastPathComponent + "/surge"
    guard FileManager.default.isExecutableFile(atPath: surge) else {
        throw Requirements.skip("surge is not built next to \(calibrate); run `swift build`")
    }
    return surge
}
