import Foundation
import SurgeLoad
import XCTest

/// The load driver against Debian's nginx, started from Surge's generated configuration.
final class NginxLoadTests: XCTestCase {
    func testClosedLoopAgainstNginx() async throws {
        guard NginxTarget.executable() != nil else {
            throw XCTSkip("nginx is not installed (Debian package nginx-light); skipping the nginx load test")
        }
        let port = try freePort()
        let target = try NginxTarget.prepare(port: port, workers: 1)
        defer { try? FileManager.default.removeItem(atPath: target.directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: target.argv[0])
        process.arguments = Array(target.argv.dropFirst())
        try process.run()
        defer {
            // nginx started with master_process off keeps the parent's signal mask; the test process
            // may block SIGTERM on this thread, so fall back to SIGKILL.
            process.terminate()
            for _ in 0..<20 where process.isRunning { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        var up = false
        for _ in 0..<100 where !up {
            up = (try? await fetch(port: port)) != nil
            if !up { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        let log = (try? String(contentsOfFile: target.directory + "/error.log", encoding: .utf8)) ?? ""
        XCTAssertTrue(up, "nginx did not listen on \(port); error.log: \(log)")
        let outcome = try await runWorkload("http.closed", ["connections": "16", "pipeline": "2", "requests": "4000", "length": "13"], port: port)
        XCTAssertEqual(outcome.operations, 4000)
        XCTAssertEqual(outcome.failures, [])
        let json = try await runWorkload("http.closed", ["connections": "2", "requests": "100", "path": "/json", "length": "27"], port: port)
        XCTAssertEqual(json.failures, [])
        let open = try await runWorkload("http.open", ["connections": "4", "rate": "4000", "requests": "2000"], port: port)
        XCTAssertEqual(open.operations, 2000)
        XCTAssertEqual(open.failures, [])
    }

    func testConfigurationListensOnLoopbackOnly() {
        let text = NginxTarget.configuration(port: 8123, workers: 1, directory: "/tmp/x")
        XCTAssertTrue(text.contains("listen 127.0.0.1:8123"))
        XCTAssertTrue(text.contains("daemon off;"))
        XCTAssertTrue(text.contains("master_process off;"))
        XCTAssertTrue(NginxTarget.configuration(port: 8123, workers: 2, directory: "/tmp/x").contains("worker_processes 2;"))
        XCTAssertThrowsError(try NginxTarget.prepare(port: 0, workers: 1))
    }
}
