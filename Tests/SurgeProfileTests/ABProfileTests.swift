import Foundation
import Glibc
import SurgeProfile
import SurgeTestKit
import XCTest

/// `surge ab --profile cpu` on the built-in broker (flush: batched against flush: immediate): each
/// side's cells are profiled in visits of their own after the rounds, the folded stacks go beside
/// each side's result file, and the ab report holds the differential flame graph and the
/// biggest-changes table naming the broker's functions; `surge report` of the two files again.
/// 20,000 messages at 999 Hz give the profile windows ~450 (A) and ~900 (B) samples; 4,000 at 499 Hz
/// gave 55 and 105, and the broker's functions fell out of the table's top rows in one run in ~40.
final class ABProfileTests: XCTestCase {
    static let scenario = """
        name: ab-profile
        targets:
          batched: { component: broker, options: { flush: batched } }
          immediate: { component: broker, options: { flush: immediate } }
        workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 16, messages: 20000 }
        matrix: { target: [batched, immediate] }
        warmup: 0s
        """

    func testAbProfileWritesDifferentialGraphAndTable() throws {
        guard geteuid() == 0 else { try requireOrSkip("profiles need root") }
        let dir = SurgeBinary.tempDir("surge-ab-profile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.scenario.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
        let r = try SurgeBinary.run(
            [
                "ab", "s.yaml", "--a", "batched", "--b", "immediate", "--rounds", "2", "--profile", "cpu",
                "--profile-frequency", "999", "--profile-windows", "1", "--out", "runs", "--report", "report", "-q",
            ], in: dir)
        XCTAssertTrue([0, 2].contains(r.status), r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("profiles, B against A"), r.stdout + r.stderr)

        // Folded stacks per side beside the result files, referenced from them; no profile sample
        // in the rounds.
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/runs")
        for side in ["A", "B"] {
            let result = try XCTUnwrap(files.first { $0.hasSuffix("-\(side).json") }, "\(files)")
            let json = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/runs/\(result)")))
                    as? [String: Any])
            let cell = try XCTUnwrap((json["cells"] as? [[String: Any]])?.first)
            let cpu = try XCTUnwrap(
                (cell["profiles"] as? [[String: Any]])?.first, "side \(side): \(json["notes"] ?? "")")
            XCTAssertEqual(cpu["kind"] as? String, "cpu")
            let perOp = try XCTUnwrap(cpu["perOp"] as? String)
            XCTAssertTrue(perOp.hasPrefix(result.replacingOccurrences(of: ".json", with: ".profiles/")), perOp)
            let stacks = try FoldedStacks.read("\(dir)/runs/\(perOp)")
            XCTAssertTrue(stacks.values.keys.contains { $0.contains("Broker.") }, "side \(side): broker frames")
            let samples = try XCTUnwrap(cell["samples"] as? [[String: Any]])
            XCTAssertEqual(samples.count, 2, "two rounds, no profile-pass sample among them")
        }

        let markdown = try String(contentsOfFile: "\(dir)/report/ab.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("## Profiles: where B differs from A"), markdown)
        XCTAssertTrue(markdown.contains("**Biggest changes by self cost** (cpu-ns/op)"), markdown)
        let tableRows = markdown.split(separator: "\n").filter { $0.hasPrefix("| `") }
        XCTAssertTrue(tableRows.contains { $0.contains("Broker.") }, "broker functions in the table:\n\(markdown)")
        let svgName = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: "\(dir)/report").first {
                $0.hasPrefix("profile-diff-") && $0.hasSuffix(".cpu.svg")
            })
        XCTAssertTrue(markdown.contains("](\(svgName))"), markdown)
        let svg = try String(contentsOfFile: "\(dir)/report/\(svgName)", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("</svg>"))
        XCTAssertTrue(svg.contains("Broker."), "broker frames in the differential graph")
        XCTAssertTrue(svg.contains("red grew, blue shrank"))
        let html = try String(contentsOfFile: "\(dir)/report/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<img src=\"\(svgName)\""), html)
        XCTAssertTrue(html.contains("biggest changes by inclusive cost"), html)
    }

    /// `surge compare A B` and `surge report run B --against A` of two profiled runs, B with a
    /// busy-wait handicap of 400 µs per message (B's every repetition slower than A's even on a
    /// loaded machine: 100 µs was not significant at load 12): the regression comes with the differential and the table,
    /// and the handicap's clock reads (`__vdso_clock_gettime`, named from the vDSO) are the biggest
    /// change by self cost, the handicap's own functions among those by inclusive cost.
    func testCompareAndReportOfTwoProfiledRunsExplainTheRegression() throws {
        guard geteuid() == 0 else { try requireOrSkip("profiles need root") }
        let dir = SurgeBinary.tempDir("surge-compare-profile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        name: cmp-profile
        target: { component: broker, options: { flush: batched } }
        workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 16, messages: 3000 }
        warmup: 0s
        repetitions: 5
        profile: [cpu]
        """.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
        let common = ["--quiet", "--profile-frequency", "999", "--profile-windows", "1", "--no-benchfmt"]
        let a = try SurgeBinary.run(["run", "s.yaml", "--out", "a"] + common, in: dir)
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try SurgeBinary.run(
            ["run", "s.yaml", "--out", "b", "--target-option", "handicap-ns=400000"] + common, in: dir)
        XCTAssertEqual(b.status, 0, b.stderr)
        let fileA =
            "a/"
            + (try XCTUnwrap(
                try FileManager.default.contentsOfDirectory(atPath: "\(dir)/a").first { $0.hasSuffix(".json") }))
        let fileB =
            "b/"
            + (try XCTUnwrap(
                try FileManager.default.contentsOfDirectory(atPath: "\(dir)/b").first { $0.hasSuffix(".json") }))

        let compare = try SurgeBinary.run(["compare", fileA, fileB, "--profile-diffs", "diffs"], in: dir)
        XCTAssertEqual(compare.status, 2, compare.stdout + compare.stderr)
        XCTAssertTrue(compare.stdout.contains("profiles, B against A"), compare.stdout)
        XCTAssertTrue(
            compare.stdout.contains("__vdso_clock_gettime"),
            "the handicap's clock reads are among the biggest changes:\n\(compare.stdout)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/diffs/profile-diff-cmpprofile.cpu.svg"))

        let report = try SurgeBinary.run(["report", "run", fileB, "--against", fileA, "--out", "rep"], in: dir)
        XCTAssertEqual(report.status, 2, report.stdout + report.stderr)
        let markdown = try String(contentsOfFile: "\(dir)/rep/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("## Profiles: where B differs from A"), markdown)
        XCTAssertTrue(markdown.contains("msgs/s") && markdown.contains("REGRESSION"), markdown)
        XCTAssertTrue(
            markdown.split(separator: "\n").contains { $0.hasPrefix("| `") && $0.contains("ComponentKit.Handicap") },
            markdown)
        let html = try String(contentsOfFile: "\(dir)/rep/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<img src=\"profile-diff-cmpprofile.cpu.svg\""), html)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/rep/profile-diff-cmpprofile.cpu.shape-a.svg"))
    }
}
