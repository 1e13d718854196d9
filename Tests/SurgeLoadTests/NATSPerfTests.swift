#if canImport(Glibc)
import Glibc
#endif
import Broker
import Foundation
import NIOCore
import NIOPosix
import SurgeLoad
import XCTest

/// Side-by-side throughput of the built-in broker and nats-server on the project's matrix (payload
/// 16/128/1024 × subscribers 0/1/4, one publisher). Not a pass/fail test: it prints figures, and runs
/// only with SURGE_PERF=1, ideally from a release build:
///
///     swift build -c release --build-tests
///     SURGE_PERF=1 .build/release/SurgePackageTests.xctest SurgeLoadTests.NATSPerfTests
///
/// Both servers run as separate processes (the built-in broker is this test binary re-run with
/// `BrokerServeForPerf`), so their CPU share is read from /proc/PID/stat around each cell.
final class NATSPerfTests: XCTestCase {
    func testBrokerVersusNatsServer() async throws {
        guard ProcessInfo.processInfo.environment["SURGE_PERF"] == "1" else {
            throw XCTSkip("performance comparison runs only with SURGE_PERF=1")
        }
        guard let natsServer = NATSTarget.natsServerPath else { throw XCTSkip("nats-server is not on PATH") }
        let env = ProcessInfo.processInfo.environment
        let seconds = env["SURGE_PERF_SECONDS"] ?? "2"
        let brokerOptions = env["SURGE_PERF_BROKER_OPTIONS"] ?? ""
        let payloads = (env["SURGE_PERF_PAYLOADS"] ?? "16,128,1024").split(separator: ",").map(String.init)
        let subscriberCounts = (env["SURGE_PERF_SUBSCRIBERS"] ?? "0,1,4").split(separator: ",").map(String.init)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let me = ProcessInfo.processInfo.arguments[0]
        say("cell                 server          msgs/s      pub-msgs/s  server-CPU  server-cpu-ns/op  p50-ns     p99-ns")
        for payload in payloads {
            for subs in subscriberCounts {
                var rates: [String: Double] = [:]
                for name in ["nats-server", "built-in"] {
                    let target: NATSTarget
                    if name == "nats-server" {
                        target = try await NATSTarget.external(path: natsServer, name: name) { ["-a", "127.0.0.1", "-p", String($0)] }
                    } else {
                        target = try await NATSTarget.external(path: me, name: name) { port in
                            setenv("SURGE_SERVE_BROKER_PORT", String(port), 1)
                            setenv("SURGE_SERVE_BROKER_OPTIONS", brokerOptions, 1)
                            return ["SurgeLoadTests.BrokerServeForPerf/testServe"]
                        }
                    }
                    let params = ["publishers": "1", "subscribers": subs, "payload": payload, "duration": seconds]
                    let workload = try NATSPubSubWorkload(parameters: WorkloadParameters(params.mapValues { .scalar($0) }))
                    say("  \(name) up on port \(target.endpoint.port), pid \(target.process?.processIdentifier ?? 0)")
                    let session = try await workload.makeSession(endpoints: [target.endpoint], group: group)
                    _ = try await session.run(.warmup(seconds: 0.5)) { _ in }
                    let pid = target.process?.processIdentifier ?? 0
                    let cpu0 = cpuSeconds(pid: pid)
                    let wall0 = Date()
                    let o = try await session.run(.measure) { _ in }
                    let cpuUsed = cpuSeconds(pid: pid) - cpu0
                    let cpuShare = cpuUsed / Date().timeIntervalSince(wall0)
                    await session.close()
                    await target.stop()
                    let rate = o.metrics["msgs/s"] ?? 0
                    rates[name] = rate
                    let cell = "payload=\(payload)/subs=\(subs)".padding(toLength: 20, withPad: " ", startingAt: 0)
                    say(cell, name.padding(toLength: 14, withPad: " ", startingAt: 0),
                          String(format: "%10.0f  %10.0f  %8.0f%%  %16.0f  %9.0f  %9.0f", rate, o.metrics["pub-msgs/s"] ?? 0, cpuShare * 100,
                                 cpuUsed * 1e9 / Double(max(1, o.operations)),
                                 o.metrics["p50-ns"] ?? 0, o.metrics["p99-ns"] ?? 0),
                          o.failures.isEmpty ? "" : "FAILURES: \(o.failures)")
                }
                say(String(format: "  ratio built-in/nats-server: %.2f", (rates["built-in"] ?? 0) / max(1, rates["nats-server"] ?? 1)))
            }
        }
        try? await group.shutdownGracefully()
    }

    /// utime + stime of `pid` in seconds, from /proc/PID/stat.
    private func cpuSeconds(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
        guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return 0 }
        return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// Serves the built-in broker in a child process for `NATSPerfTests`; skipped unless
/// SURGE_SERVE_BROKER_PORT is set. Exits when the parent process goes away or after ten minutes.
final class BrokerServeForPerf: XCTestCase {
    func testServe() async throws {
        guard let portText = ProcessInfo.processInfo.environment["SURGE_SERVE_BROKER_PORT"], let port = Int(portText) else {
            throw XCTSkip("serves a broker for NATSPerfTests only (SURGE_SERVE_BROKER_PORT)")
        }
        var options: [String: String] = [:]
        for pair in (ProcessInfo.processInfo.environment["SURGE_SERVE_BROKER_OPTIONS"] ?? "").split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { options[kv[0]] = kv[1] }
        }
        let server = BrokerServer(options: try BrokerOptions(options: options, port: port))
        _ = try await server.start()
        let parent = getppid()
        let deadline = Date().addingTimeInterval(600)
        while getppid() == parent && Date() < deadline {
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        await server.stop()
    }
}

/// Writes a line to standard error at once (standard output is buffered when piped).
private func say(_ items: Any...) {
    FileHandle.standardError.write(Data((items.map { "\($0)" }.joined(separator: " ") + "\n").utf8))
}
