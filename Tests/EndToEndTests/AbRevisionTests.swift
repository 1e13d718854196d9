import Foundation
import SurgeResults
import SurgeTestKit
import XCTest

/// `surge ab --a rev:X --b rev:Y` on a tiny git repository made here: a server script "built" by the
/// scenario's `build:` command, served as `{build}/built-server.py`. Not this repository.
final class AbRevisionTests: XCTestCase {
    static let server = """
        import sys, http.server
        DELAY = 0
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                if DELAY: __import__("time").sleep(DELAY)
                body = b"Hello, World!"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()

        """

    func git(_ args: [String], in dir: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-c", "user.name=surge-test", "-c", "user.email=test@localhost"] + args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "git \(args)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testTwoRevisionsOfAFixtureRepositoryAreBuiltOnceAndCompared() throws {
        guard SurgeBinary.which("git") != nil, SurgeBinary.which("python3") != nil else {
            try requireOrSkip("git and python3 are needed for the fixture repository")
        }
        let dir = SurgeBinary.tempDir("surge-ab-rev")
        let repo = "\(dir)/fixture"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        _ = try git(["init", "-q"], in: repo)
        try Self.server.write(toFile: "\(repo)/server.py", atomically: true, encoding: .utf8)
        _ = try git(["add", "server.py"], in: repo)
        _ = try git(["commit", "-q", "-m", "first"], in: repo)
        let first = try git(["rev-parse", "HEAD"], in: repo)
        try Self.server.replacingOccurrences(of: "DELAY = 0", with: "DELAY = 0.0002")
            .write(toFile: "\(repo)/server.py", atomically: true, encoding: .utf8)
        _ = try git(["commit", "-q", "-am", "second"], in: repo)
        let second = try git(["rev-parse", "HEAD"], in: repo)
        try """
        name: fixture-ab
        build: { repository: fixture, command: [cp, server.py, built-server.py] }
        target: { command: [python3, "{build}/built-server.py", "{port}"] }
        workload: { kind: http.closed, connections: 2, duration: 300ms, path: /plaintext, length: 13 }
        warmup: 0s
        """.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
        let args = [
            "ab", "s.yaml", "--a", "rev:HEAD~1", "--b", "rev:HEAD", "--rounds", "2", "--out", "runs", "-q",
            "--build-cache", "cache", "--probes", "none",
        ]
        let r = try SurgeBinary.run(args, in: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("building in"), r.stderr)
        for commit in [first, second] {
            XCTAssertTrue(
                FileManager.default.fileExists(atPath: "\(dir)/cache/fixture-\(commit)/built-server.py"), commit)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs").filter {
            $0.hasSuffix("-A.json")
        }
        let a = try RunResultCodec.read(path: "\(dir)/runs/\(try XCTUnwrap(files.first))")
        XCTAssertEqual(a.ab?.commits, ["A": first, "B": second])
        XCTAssertEqual(a.cells.first?.status, .ok, a.cells.first?.reason ?? "")
        XCTAssertEqual(a.cells.first?.samples.count, 2)
        // The same commits again: taken from the cache, not built.
        let again = try SurgeBinary.run(args, in: dir)
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)
        XCTAssertTrue(again.stderr.contains("built before"), again.stderr)
        XCTAssertFalse(again.stderr.contains("building in"), again.stderr)
    }
}
