import Foundation
import SurgeResults
import XCTest

/// `surge merge`: shards come back as one run with every sample kept and cells in matrix order;
/// anything that would make the merged file lie is refused with the files named.
final class RunMergeTests: XCTestCase {
    let allCells = ["BenchmarkS/a=1", "BenchmarkS/a=2", "BenchmarkS/a=3", "BenchmarkS/a=4"]

    func host(_ name: String, kernel: String = "6.1") -> HostInfo {
        HostInfo(hostname: name, cpuModel: "cpu", cores: 2, kernel: kernel, loadAverage: [0, 0, 0],
                 surgeVersion: "0.1.0", buildConfig: "release")
    }

    func shard(_ i: Int, of n: Int, cells: [String], sha: String = "abc", host: HostInfo? = nil) -> RunMerge.Input {
        var run = RunResult(
            runID: "2026120\(i)T000000Z-s-shard\(i)of\(n)", startedAt: Date(timeIntervalSince1970: Double(100 * i)),
            scenario: ScenarioInfo(name: "s", file: "s.yaml", sha256: sha), source: nil,
            host: host ?? self.host("h"), target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        run.finishedAt = Date(timeIntervalSince1970: Double(100 * i + 50))
        run.shard = ShardRecord(index: i, count: n, allCells: allCells)
        run.probeMethods = ["syscalls/op": "bpf"]
        run.cells = cells.map { name in
            CellResult(name: name, parameters: [CellParameter(name: "a", value: String(name.last!))], samples: (1...3).map {
                Sample(repetition: $0, operations: 1000 * $0, elapsedSeconds: 0.1, metrics: ["msgs/s": Double($0) * 1e4],
                       latencyHistogram: "HISTFAKE\($0)")
            })
        }
        return RunMerge.Input(file: "shard\(i).json", run: run)
    }

    func testMergeKeepsEverySampleInMatrixOrderWithAManifest() throws {
        let parts = [shard(2, of: 2, cells: [allCells[1], allCells[2]]), shard(1, of: 2, cells: [allCells[0], allCells[3]])]
        let merged = try RunMerge.merge(parts)
        XCTAssertEqual(merged.cells.map(\.name), allCells)
        XCTAssertEqual(merged.cells[1].samples, parts[0].run.cells[0].samples)
        XCTAssertEqual(merged.cells[3].samples, parts[1].run.cells[1].samples)
        XCTAssertEqual(merged.runID, "20261201T000000Z-s-merged")
        XCTAssertEqual(merged.startedAt, Date(timeIntervalSince1970: 100))
        XCTAssertEqual(merged.finishedAt, Date(timeIntervalSince1970: 250))
        XCTAssertEqual(merged.status, .complete)
        XCTAssertNil(merged.shard)
        XCTAssertEqual(merged.merge?.parts.map(\.cells), [[allCells[0], allCells[3]], [allCells[1], allCells[2]]])
        XCTAssertEqual(merged.merge?.parts.map(\.file), ["shard1.json", "shard2.json"])
        XCTAssertTrue(merged.cells.allSatisfy { $0.host == nil })
        // The merged file round-trips through the codec.
        let data = try RunResultCodec.encode(merged)
        XCTAssertEqual(try RunResultCodec.decode(data, path: "m.json"), merged)
    }

    func testShardsFromDifferentHostsAreRecordedPerCell() throws {
        let other = host("h2", kernel: "6.5")
        let merged = try RunMerge.merge([
            shard(1, of: 2, cells: [allCells[0], allCells[1]]), shard(2, of: 2, cells: [allCells[2], allCells[3]], host: other),
        ])
        XCTAssertEqual(merged.cells.map(\.host), [nil, nil, other, other])
        XCTAssertTrue(merged.notes.contains { $0.hasPrefix("merged from shards measured on 2 different hosts") }, "\(merged.notes)")
    }

    func testRefusals() {
        let a = shard(1, of: 3, cells: [allCells[0]])
        let b = shard(2, of: 3, cells: [allCells[1], allCells[2]])
        let c = shard(3, of: 3, cells: [allCells[3]])
        func refusal(_ inputs: [RunMerge.Input]) -> String {
            do {
                _ = try RunMerge.merge(inputs)
                return "merged"
            } catch { return error.description }
        }
        XCTAssertEqual(refusal([a, c]), "missing shard 2/3: merge needs all 3")
        XCTAssertEqual(refusal([a, b, c, b]), "shard 2 given twice: shard2.json, shard2.json")
        var dup = c
        dup.run.cells.append(a.run.cells[0])
        XCTAssertEqual(refusal([a, b, dup]), "cell BenchmarkS/a=1 is in more than one shard: shard1.json, shard3.json")
        XCTAssertTrue(refusal([a, b, shard(3, of: 3, cells: [allCells[3]], sha: "def")]).hasPrefix(
            "shard3.json: scenario s (def) differs from s (abc) in shard1.json"))
        var notShard = c
        notShard.run.shard = nil
        XCTAssertEqual(refusal([a, b, notShard]),
                       "shard3.json: not a shard (no \"shard\" record; it was not written by `surge run --shard i/n`)")
        XCTAssertEqual(refusal([a, b, shard(3, of: 4, cells: [allCells[3]])]),
                       "shard3.json: a shard of 4, but shard1.json is a shard of 3")
        XCTAssertEqual(refusal([a, b, shard(3, of: 3, cells: [])]),
                       "cell BenchmarkS/a=4 of the run's matrix is in none of the 3 shards' results")
        XCTAssertEqual(refusal([]), "surge merge: no result files given")
    }
}
