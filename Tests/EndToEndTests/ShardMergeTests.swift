import Foundation
import SurgeResults
import SurgeTestKit
import XCTest

/// A real scenario run once whole and once as three shards in three processes, then merged: the merged
/// file holds the same cells, in the same order, with the same number of samples of the same metrics.
final class ShardMergeTests: XCTestCase {
    func testThreeShardsMergeIntoWhatOneRunHolds() throws {
        let dir = SurgeBinary.tempDir("surge-shards")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = dir + "/shards.yaml"
        try """
            name: shards
            target: { component: broker, options: { flush: "{flush}" } }
            workloads:
              pubsub: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 16, messages: 2000 }
              request: { kind: nats.request, clients: 1, payload: 16, requests: 200 }
            matrix:
              workload: [pubsub, request]
              flush: [immediate, batched]
            repetitions: 2
            warmup: 50ms
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        func run(_ args: [String]) throws -> String {
            let r = try SurgeBinary.run(["run", scenario, "--quiet", "--no-benchfmt", "--probes", "none"] + args, in: dir)
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
            return try XCTUnwrap(
                r.stdout.split(separator: "\n").first { $0.hasPrefix("result: ") }.map { String($0.dropFirst(8)) },
                r.stdout + r.stderr)
        }
        let wholePath = try run(["--out", dir + "/whole"])
        let whole = try RunResultCodec.read(path: wholePath)
        let shards = try (1...3).map { try run(["--out", dir + "/shards", "--shard", "\($0)/3"]) }
        for (i, path) in shards.enumerated() {
            XCTAssertTrue(path.hasSuffix("-shards-shard\(i + 1)of3.json"), path)
        }
        let merged = dir + "/merged.json"
        let m = try SurgeBinary.run(["merge"] + shards + ["--out", merged], in: dir)
        XCTAssertEqual(m.status, 0, m.stdout + m.stderr)
        XCTAssertTrue(m.stdout.contains("merged 3 shards: 4 cells, 8 samples"), m.stdout)
        let joined = try RunResultCodec.read(path: merged)
        XCTAssertEqual(joined.cells.map(\.name), whole.cells.map(\.name))
        XCTAssertEqual(joined.cells.map(\.samples.count), whole.cells.map(\.samples.count))
        XCTAssertEqual(joined.cells.map { Set($0.samples.flatMap(\.metrics.keys)) },
                       whole.cells.map { Set($0.samples.flatMap(\.metrics.keys)) })
        XCTAssertEqual(joined.cells.map(\.status), whole.cells.map(\.status))
        XCTAssertEqual(joined.merge?.parts.flatMap(\.cells).sorted(), whole.cells.map(\.name).sorted())
        // The merged file compares against the unsharded run like any result file.
        let c = try SurgeBinary.run(["compare", "--no-calibration", wholePath, merged], in: dir)
        XCTAssertNotEqual(c.status, 1, c.stdout + c.stderr)
        XCTAssertTrue(c.stdout.contains("msgs/s"), c.stdout)

        // A missing shard is refused, naming it; nothing is written.
        let partial = try SurgeBinary.run(["merge", shards[0], shards[2], "--out", dir + "/partial.json"], in: dir)
        XCTAssertEqual(partial.status, 1)
        XCTAssertTrue(partial.stderr.contains("missing shard 2/3"), partial.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/partial.json"))
        let bad = try SurgeBinary.run(["run", scenario, "--shard", "4/3"], in: dir)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("--shard '4/3': i must be between 1 and 3"), bad.stderr)
    }
}
