import Foundation

/// The real NATS client the broker and mesh tests check against: nats-py in the virtual environment
/// `Scripts/setup` makes under `.build/venv` (Debian's python3, never the system site).
public enum NATSPython {
    /// `.build/venv/bin/python` of this checkout, found from this source file's path.
    public static var interpreter: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let python = root.appendingPathComponent(".build/venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: python) ? python : nil
    }

    /// The interpreter, or a skip (a failure under `SURGE_REQUIRE_ALL=1`) naming the command that makes it.
    public static func require(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let python = interpreter else {
            try requireOrSkip("nats-py is not installed in .build/venv; run Scripts/setup", file: file, line: line)
        }
        return python
    }

    /// Runs `script` (Python source) with `arguments` under a hard `timeout`, killing it when the time is up.
    /// The script sees the arguments in `sys.argv[1:]`; stdout and stderr come back whole.
    public static func run(
        _ script: String, arguments: [String] = [], timeout: TimeInterval = 30, file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> SurgeBinary.Output {
        let python = try require(file: file, line: line)
        let dir = SurgeBinary.tempDir("nats-py")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/client.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        p.arguments = ["-k", "2", "\(Int(timeout.rounded(.up)))", python, path] + arguments
        let out = dir + "/stdout"
        let err = dir + "/stderr"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try p.run()
        p.waitUntilExit()
        return SurgeBinary.Output(
            status: p.terminationStatus, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
