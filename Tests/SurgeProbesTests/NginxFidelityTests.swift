import Foundation
import Glibc
@testable import SurgeProbes
import XCTest

/// nginx under wrk, a real server nobody here wrote: attached to its master, Surge measures the
/// workers (the process tree), and the preload library and uprobes count the same allocations
/// (nginx's pools use posix_memalign, which glibc implements with malloc inside).
final class NginxFidelityTests: XCTestCase {
    func testMasterIsMeasuredWithItsWorkersAndMethodsAgree() throws {
        try Requirements.root("uprobes on nginx")
        try Requirements.tool("/usr/sbin/nginx", package: "nginx-light")
        try Requirements.tool("/usr/bin/wrk", package: "wrk")
        try Requirements.preloadLibrary()
        let directory = NSTemporaryDirectory() + "surge-nginx-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = 20_000 + Int(getpid() % 10_000)
        let temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map { "\($0)_temp_path \(directory)/\($0);" }
        let config = """
            daemon off; worker_processes 2; pid \(directory)/nginx.pid; error_log \(directory)/logs/error.log;
            events { worker_connections 256; }
            http { access_log off; \(temp.joined(separator: " "))
              server { listen 127.0.0.1:\(port); location / { return 200 "hello\\n"; } } }
            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let preload = try AllocationPreload.prepare()
        defer { preload.remove() }
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        nginx.arguments = ["-p", directory, "-c", directory + "/nginx.conf"]
        nginx.environment = ProcessInfo.processInfo.environment.merging(preload.environment) { $1 }
        try nginx.run()
        defer { nginx.terminate(); nginx.waitUntilExit() }
        var workers: [Int32] = []
        for _ in 0..<100 where workers.count < 2 {
            usleep(20_000)
            workers = ProcessTree.descendants(of: nginx.processIdentifier)
        }
        XCTAssertEqual(workers.count, 2, "nginx workers")
        let byPreload = try ProbeSession.attach(pid: nginx.processIdentifier, probes: [.allocations, .syscalls, .cpu],
                                                preload: preload, forceMethod: [.allocations: "preload"])
        let byUprobe = try ProbeSession.attach(pid: nginx.processIdentifier, probes: [.allocations], preload: nil,
                                               forceMethod: [.allocations: "uprobe"])
        defer { byPreload.close(); byUprobe.close() }
        try byPreload.beginWindow()
        try byUprobe.beginWindow()
        let wrk = try runProgram("/usr/bin/wrk", ["-t1", "-c4", "-d1s", "http://127.0.0.1:\(port)/"])
        usleep(100_000)
        let p = try byPreload.endWindow(), u = try byUprobe.endWindow()
        let requests = Double(wrk.output.split(separator: "\n").first { $0.contains("requests in") }?
            .split(separator: " ").first ?? "") ?? 0
        XCTAssertGreaterThan(requests, 100, wrk.output)
        let allocs = try XCTUnwrap(p.totals["allocs"]), uprobeAllocs = try XCTUnwrap(u.totals["allocs"])
        print("nginx under wrk: \(Int(requests)) requests; allocs preload \(Int(allocs)) uprobe \(Int(uprobeAllocs)); "
              + "bytes preload \(Int(p.totals["alloc-bytes"] ?? 0)) uprobe \(Int(u.totals["alloc-bytes"] ?? 0))")
        XCTAssertGreaterThan(allocs, requests, "nginx allocates per request: \(p.totals)")
        XCTAssertEqual(uprobeAllocs, allocs, accuracy: allocs * 0.01, "preload \(p.totals) vs uprobe \(u.totals)")
        XCTAssertEqual(u.totals["alloc-bytes"] ?? 0, p.totals["alloc-bytes"] ?? 0, accuracy: (p.totals["alloc-bytes"] ?? 0) * 0.01)
        for worker in workers {
            XCTAssertGreaterThan(p.processes[worker]?["syscalls"] ?? 0, 0, "worker \(worker): \(p.processes)")
            XCTAssertGreaterThan(p.processes[worker]?["allocs"] ?? 0, 0, "worker \(worker): \(p.processes)")
        }
        XCTAssertGreaterThan(p.totals["syscalls"] ?? 0, requests, "the workers' syscalls")
        XCTAssertEqual(p.totals["processes"], 3)
    }
}
