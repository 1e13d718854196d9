import Foundation
import SurgeResults
import SurgeRunner
import SurgeScenario
import XCTest

/// Multi-node targets end to end: real `surge serve mesh-node` children bootstrapped into one mesh,
/// real NATS traffic across nodes over loopback.
final class MeshTopologyTests: XCTestCase {
    func testThreeNodeMeshDeliversAcrossNodesWithPerNodeAndSummedCounters() async throws {
        let (_, result) = try await RunnerTestSupport.run("""
            name: mesh-tiny
            target: { component: mesh-node, nodes: 3, options: { discovery-cache-ttl: "{ttl}", batch-window: 100us } }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 2, payload: 128, messages: 2000, rate: 4000, publish-on: [0], subscribe-on: [1, 2] }
            matrix: { ttl: [0, 1s] }
            warmup: 100ms
            repetitions: 2
            """)
        XCTAssertEqual(result.status, .complete)
        XCTAssertEqual(result.cells.count, 2)
        for cell in result.cells {
            XCTAssertEqual(cell.status, .ok, cell.reason ?? "")
            XCTAssertEqual(cell.samples.count, 2)
            for s in cell.samples {
                XCTAssertEqual(s.operations, 4000, "2000 messages × 2 subscribers on other nodes, each exactly once")
                let c = try XCTUnwrap(s.targetCounters)
                XCTAssertEqual(c["node0.msgs_in"], 2000)
                XCTAssertEqual(c["node0.forwards"], 4000)
                XCTAssertEqual(c["node1.msgs_delivered"], 2000)
                XCTAssertEqual(c["node2.msgs_delivered"], 2000)
                XCTAssertEqual(c["msgs_delivered"], 4000, "summed over the nodes")
                XCTAssertEqual(c["node0.known_peers"], 2, "a gauge keeps its value at the window's end")
                if cell.name.hasSuffix("ttl=0") {
                    XCTAssertEqual(c["node0.cache_hits"], 0)
                    XCTAssertEqual(c["node0.cache_misses"], 2000, "every publish waits for a lookup")
                    let lookups = c["node0.discovery_lookups"] ?? 0
                    XCTAssertGreaterThanOrEqual(lookups + (c["node0.lookups_coalesced"] ?? 0), 2000,
                                                "each publish began a lookup or joined its subject's next one")
                    XCTAssertGreaterThanOrEqual(c["node0.dht_queries_sent"] ?? 0, lookups, "a DHT query per lookup")
                } else {
                    XCTAssertEqual((c["node0.cache_hits"] ?? 0) + (c["node0.cache_misses"] ?? 0), 2000)
                    XCTAssertGreaterThan(c["node0.cache_hits"] ?? 0, 1000, "misses only while a refresh lookup is in flight")
                    XCTAssertLessThan(c["node0.dht_queries_sent"] ?? 99, 10)
                }
            }
        }
    }

    func testNodeKilledMidRunFailsTheCellNamingTheNode() async throws {
        let victim = Locked<pid_t>(0)
        let (_, result) = try await RunnerTestSupport.run("""
            name: mesh-crash
            target: { component: mesh-node, nodes: 3 }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 2, payload: 64, duration: "{duration}", rate: 2000, publish-on: [0], subscribe-on: [1, 2] }
            matrix: { duration: [5s, 300ms] }
            warmup: 0s
            repetitions: 2
            """) { runner in
            // Once the first cell's three nodes run, let it measure a moment, then kill node 2.
            var nodes: [(pid: pid_t, cmdline: String)] = []
            let deadline = Date().addingTimeInterval(20)
            while nodes.count < 3 && Date() < deadline {
                nodes = Self.childMeshNodes()
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
            try? await Task.sleep(nanoseconds: 1_500_000_000)
            guard let node2 = nodes.filter({ $0.cmdline.contains("bootstrap=") }).map(\.pid).max() else { return }
            victim.set(node2)
            kill(node2, SIGKILL)
        }
        let pid = victim.get()
        XCTAssertNotEqual(pid, 0, "the test found the mesh nodes to kill one")
        XCTAssertEqual(result.cells.count, 2)
        XCTAssertEqual(result.cells[0].status, .failed)
        let reason = result.cells[0].reason ?? "no reason"
        XCTAssertTrue(reason.contains("(pid \(pid)) was killed by signal 9"), reason)
        XCTAssertTrue(reason.contains("of 3"), reason)
        XCTAssertEqual(result.cells[1].status, .ok, result.cells[1].reason ?? "")
        // Every node of the failed cell was stopped.
        try? await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertTrue(Self.childMeshNodes().isEmpty, "no mesh node outlives the run: \(Self.childMeshNodes())")
    }

    /// Live (not zombie) children of this process serving a mesh node, with their command lines.
    static func childMeshNodes() -> [(pid: pid_t, cmdline: String)] {
        let me = getpid()
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var out: [(pid_t, String)] = []
        for e in entries {
            guard let pid = pid_t(e),
                  let stat = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", pid_t(fields[1]) == me,
                  let raw = FileManager.default.contents(atPath: "/proc/\(e)/cmdline") else { continue }
            let cmd = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if cmd.contains("serve mesh-node") { out.append((pid, cmd)) }
        }
        return out
    }
}

/// A value shared with a test's side task.
final class Locked<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func get() -> T { lock.withLock { value } }
    func set(_ v: T) { lock.withLock { value = v } }
}

/// `mesh.churn` across a real three-node mesh.
final class MeshChurnTests: XCTestCase {
    func testChurnLosesNothingAndMeasuresDiscovery() async throws {
        let (_, result) = try await RunnerTestSupport.run("""
            name: churn-tiny
            target: { component: mesh-node, nodes: 3, options: { discovery-cache-ttl: 100ms, batch-window: 100us } }
            workload: { kind: mesh.churn, publishers: 1, subscribers: 3, subjects: 3, rate: 1500, duration: 3s, hold: 600ms, settle: 300ms, gap: 100ms, tenures: 2, publish-on: [0], subscribe-on: [1, 2] }
            warmup: 0s
            repetitions: 1
            """)
        let cell = try XCTUnwrap(result.cells.first)
        XCTAssertEqual(cell.status, .ok, cell.reason ?? "")
        let m = try XCTUnwrap(cell.samples.first?.metrics)
        XCTAssertEqual(m["lost-msgs"], 0)
        // `tenures: 2`: publishing outlasts 3 s until each subscriber has joined and left twice, however
        // long the SUB and UNSUB acks take on a busy machine (3 or 4 cycles each on a quiet one).
        XCTAssertGreaterThanOrEqual(m["tenures"] ?? 0, 6, "3 subscribers × at least 2 join/leave cycles")
        XCTAssertEqual(m["undiscovered-tenures"], 0, "every subscriber was found while it was subscribed")
        let p50 = try XCTUnwrap(m["discovery-p50-ns"])
        XCTAssertGreaterThan(p50, 0)
        XCTAssertGreaterThan(cell.samples.first?.operations ?? 0, 1000)
    }
}
