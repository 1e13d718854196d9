import Foundation
import SurgeTestKit
import XCTest

/// The Go client (nats.go, Debian's golang-github-nats-io-go-nats-dev) against the built-in broker and
/// nats-server: request/reply, no responders, headers, queue groups, wildcards, auto-unsubscribe, RTT,
/// drain and token auth must answer the same on both (Fixtures/natsgo prints one line per check).
final class BrokerNATSGoTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/natsgo/main.go").path
    static let gopath = "/usr/share/gocode"

    /// Builds the checker with Debian's Go in GOPATH mode (no module download).
    func buildChecker() throws -> String {
        guard let go = SurgeBinary.which("go") else {
            try requireOrSkip("go is not installed (Debian package golang-go)")
        }
        guard FileManager.default.fileExists(atPath: Self.gopath + "/src/github.com/nats-io/nats.go") else {
            try requireOrSkip("nats.go is not installed (Debian package golang-github-nats-io-go-nats-dev)")
        }
        let dir = SurgeBinary.tempDir("natsgo")
        let out = dir + "/natsgo"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: go)
        p.arguments = ["build", "-o", out, Self.fixture]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["GO111MODULE"] = "off"
        env["GOPATH"] = Self.gopath
        env["GOCACHE"] = dir + "/cache"
        p.environment = env
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, message)
        return out
    }

    func run(_ checker: String, port: Int, token: String? = nil) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        p.arguments = ["30", checker, "nats://127.0.0.1:\(port)"] + (token.map { [$0] } ?? [])
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return text.split(separator: "\n").map(String.init)
    }

    func testTheGoClientSeesTheSameBehaviourOnBothServers() async throws {
        let checker = try buildChecker()
        let expected = [
            "headers-supported", "request-reply", "no-responders", "headers", "queue-group", "wildcards",
            "auto-unsubscribe", "rtt", "drain",
        ].map { "\($0): ok" }
        try await againstBoth { server in
            XCTAssertEqual(try self.run(checker, port: server.port), expected, server.name)
        }
        let auth = "authorization { token: \"s3cret\" }"
        try await againstBoth(broker: ["token": "s3cret"], natsServer: auth) { server in
            let lines = try self.run(checker, port: server.port, token: "s3cret")
            XCTAssertEqual(lines, ["wrong-token: ok"] + expected, server.name)
        }
    }
}
