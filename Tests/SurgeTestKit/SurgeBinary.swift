import Foundation
import Synchronization

/// The `surge` executable built beside the test bundle (`.build/<triple>/debug/surge`), and a way to
/// run it as a user does: real process, real exit status, both output streams.
public enum SurgeBinary {
    /// The path, or nil when `swift build` has not built it.
    public static var path: String? {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: me).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("surge").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The path, or a skip (a failure under `SURGE_REQUIRE_ALL=1`) when it is not built.
    public static func require(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let path else {
            try requireOrSkip(
                "the surge executable is not built next to the tests; run `swift build` first", file: file, line: line)
        }
        return path
    }

    /// What a finished `surge` process left.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `surge args` in `dir` to completion; `executable` picks another build (the release one).
    public static func run(
        _ args: [String], in dir: String? = nil, executable: String? = nil, file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try executable ?? require(file: file, line: line))
        p.arguments = args
        if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes at once: a child filling one while we block on the other would deadlock.
        let errData = PipeDrain.start(err)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let e = errData.wait()
        return Output(
            status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    /// A fresh empty directory under the system temporary directory.
    public static func tempDir(_ prefix: String = "surge-test") -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The first `program` on PATH.
    public static func which(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin:/usr/sbin").split(separator: ":") {
            let p = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}

/// A pipe read to its end on a thread of its own, so a child filling it never blocks while the
/// test waits on another pipe or on the child.
public final class PipeDrain: Sendable {
    private let data = Mutex<Data?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// Starts reading `pipe`.
    public static func start(_ pipe: Pipe) -> PipeDrain {
        let drain = PipeDrain()
        Thread { drain.set(pipe.fileHandleForReading.readDataToEndOfFile()) }.start()
        return drain
    }

    private func set(_ d: Data) {
        data.withLock { $0 = d }
        done.signal()
    }

    /// Everything the pipe held, once its writers closed it.
    public func wait() -> Data {
        done.wait()
        return data.withLock { $0 ?? Data() }
    }

    /// The same, as UTF-8 text.
    public func text() -> String { String(decoding: wait(), as: UTF8.self) }
}
