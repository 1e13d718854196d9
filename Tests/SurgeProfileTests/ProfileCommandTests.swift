import Foundation
import Glibc
import SurgeProfile
import SurgeTestKit
import XCTest

/// `surge profile` end to end, and folded files as the commands read and write them.
final class ProfileCommandTests: XCTestCase {
    func testFoldedRoundTripAndErrorsNameTheLine() throws {
        let folded = FoldedStacks(values: ["a;b": 3, "a;c d": 0.25], header: [("unit", "cpu-ns/op")])
        let parsed = try FoldedStacks.parse(folded.text, path: "x.folded")
        XCTAssertEqual(parsed, folded)
        XCTAssertThrowsError(try FoldedStacks.parse("a;b 1\na;b twelve\n", path: "bad.folded")) { error in
            XCTAssertEqual("\(error)", "bad.folded:2: 'twelve' is not a count")
        }
    }

    func testDiffCommandWritesGraphAndTable() throws {
        let directory = NSTemporaryDirectory() + "surge-profile-diff-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let a = FoldedStacks(values: ["srv;main;read": 100, "srv;main;write": 100], header: [("unit", "cpu-ns/op")])
        var b = a
        b.values["srv;main;write"] = 300
        try a.write("\(directory)/a.folded")
        try b.write("\(directory)/b.folded")
        let out = try SurgeBinary.run(["profile", "diff", "\(directory)/a.folded", "\(directory)/b.folded",
                                       "--out", "\(directory)/diff.svg", "--markdown", "\(directory)/diff.md"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("| `write` | 100 | 300 | +200 |"), out.stdout)
        XCTAssertTrue(out.stdout.contains("A 200 → B 400 cpu-ns/op (+100.0%)"), out.stdout)
        let svg = try String(contentsOfFile: "\(directory)/diff.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("data-n=\"write\""))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(directory)/diff.md"))

        var other = b
        other.header = [("unit", "B/op")]
        try other.write("\(directory)/c.folded")
        let mismatch = try SurgeBinary.run(["profile", "diff", "\(directory)/a.folded", "\(directory)/c.folded", "--out", "\(directory)/x.svg"])
        XCTAssertEqual(mismatch.status, 3, "different units are not comparable: \(mismatch.stderr)")
        let missing = try SurgeBinary.run(["profile", "diff", "\(directory)/nope.folded", "\(directory)/c.folded", "--out", "\(directory)/x.svg"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.folded"), missing.stderr)
    }

    func testProfileCommandRunsACommand() throws {
        guard geteuid() == 0 else { try requireOrSkip("profiles need root") }
        let binary = try ProfileCalibrationTests.build("cpu_split")
        let directory = NSTemporaryDirectory() + "surge-profile-cmd-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let out = try SurgeBinary.run(["profile", "--kinds", "cpu,off-cpu,allocations", "--frequency", "199", "--out", directory,
                                       "--name", "split", "--", binary, "1", "7", "3"])
        XCTAssertEqual(out.status, 0, out.stderr)
        for kind in ["cpu", "off-cpu", "allocations"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(directory)/split.\(kind).svg"), "\(kind): \(out.stdout) \(out.stderr)")
        }
        let cpu = try FoldedStacks.read("\(directory)/split.cpu.folded")
        XCTAssertTrue(cpu.values.keys.contains { $0.contains("burn_a") }, cpu.text)
        XCTAssertTrue(out.stdout.contains("fully named"), out.stdout)
    }
}
