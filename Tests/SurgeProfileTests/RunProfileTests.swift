import Foundation
import Glibc
import SurgeProfile
import SurgeTestKit
import XCTest

/// `profile:` in a scenario and `--profile` on `surge run`: the built-in broker's cells get folded
/// files and flame graphs beside the result file, referenced from it with the cost of profiling.
final class RunProfileTests: XCTestCase {
    func testRunWritesProfilesOfEveryCell() throws {
        guard geteuid() == 0 else { try requireOrSkip("profiles need root") }
        let directory = NSTemporaryDirectory() + "surge-run-profile-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let scenario = """
            name: profile-smoke
            target: { component: broker, options: { flush: "{flush}" } }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 16, messages: 60000 }
            matrix: { flush: [immediate, batched] }
            warmup: 0s
            repetitions: 1
            profile: [cpu]
            """
        try scenario.write(toFile: "\(directory)/s.yaml", atomically: true, encoding: .utf8)
        let bad = scenario.replacingOccurrences(of: "profile: [cpu]", with: "profile: [cpu, heat]")
        try bad.write(toFile: "\(directory)/bad.yaml", atomically: true, encoding: .utf8)
        let invalid = try SurgeBinary.run(["validate", "\(directory)/bad.yaml"])
        XCTAssertNotEqual(invalid.status, 0)
        XCTAssertTrue((invalid.stdout + invalid.stderr).contains("heat"), invalid.stdout + invalid.stderr)

        let run = try SurgeBinary.run(["run", "\(directory)/s.yaml", "--out", "\(directory)/runs", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let results = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/runs").filter { $0.hasSuffix(".json") }
        let path = "\(directory)/runs/\(try XCTUnwrap(results.first))"
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let cells = try XCTUnwrap(json["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.count, 2)
        for cell in cells {
            let profiles = try XCTUnwrap(cell["profiles"] as? [[String: Any]], "no profiles in \(cell["name"] ?? "")")
            let cpu = try XCTUnwrap(profiles.first)
            XCTAssertEqual(cpu["kind"] as? String, "cpu")
            XCTAssertEqual(cpu["unit"] as? String, "cpu-ns/op")
            XCTAssertNotNil(cpu["throughput"])
            XCTAssertNotNil(cpu["unprofiledThroughput"])
            XCTAssertGreaterThanOrEqual(cpu["resolvedShare"] as? Double ?? 0, 0.9, "built-in component stacks are named")
            for key in ["folded", "perOp", "svg"] {
                let file = "\(directory)/runs/\(try XCTUnwrap(cpu[key] as? String))"
                XCTAssertTrue(FileManager.default.fileExists(atPath: file), file)
            }
            let perOp = try FoldedStacks.read("\(directory)/runs/\(cpu["perOp"] as? String ?? "")")
            XCTAssertTrue(perOp.values.keys.contains { $0.contains("Broker.") }, "broker frames by name")
            XCTAssertEqual(perOp.headerValue("operations"), "60000")
            // Profile-pass figures never land in the speed pass's samples.
            let samples = try XCTUnwrap(cell["samples"] as? [[String: Any]])
            XCTAssertEqual(samples.filter { ($0["pass"] as? String ?? "speed") == "speed" }.count, 1)
        }
    }
}
