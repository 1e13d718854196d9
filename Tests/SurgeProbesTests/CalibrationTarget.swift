import Foundation
import Glibc
import SurgeProbes
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
    /// Skips unless this process is root (BPF, perf counters on another process, tracefs).
    static func root(_ what: String) throws {
        if geteuid() != 0 { throw XCTSkip("\(what) needs root (or CAP_BPF and CAP_PERFMON); this test runs as uid \(geteuid())") }
    }

    /// Skips unless the preload library has been built.
    static func preloadLibrary() throws {
        do { _ = try AllocationPreload.libraryPath() } catch { throw XCTSkip("\(error)") }
    }
}

/// File descriptors of this process that hold BPF objects or perf events (from /proc/self/fd links).
func probeDescriptors() -> [String] {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.compactMap { fd in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)") else { return nil }
        return target.contains("bpf") || target.contains("perf_event") ? target : nil
    }
}
