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

final class SwiftNameSimplifierTests: XCTestCase {
    func testDemangledNamesLoseSignatures() {
        XCTAssertEqual(
            SwiftNameSimplifier.simplify("closure #1 (Swift.Int) -> () in Broker.Session.handle(frame: NATSWire.Frame) throws -> ()"),
            "closure #1 in Broker.Session.handle")
        XCTAssertEqual(
            SwiftNameSimplifier.simplify("@objc closure #1 (Swift.Optional<Swift.UnsafeMutableRawPointer>) -> Swift.Optional<Swift.UnsafeMutableRawPointer> in static NIOPosix.ThreadOpsPosix.run(handle: inout Swift.Optional<Swift.UInt>) -> ()"),
            "closure #1 in static NIOPosix.ThreadOpsPosix.run")
        XCTAssertEqual(SwiftNameSimplifier.simplify("generic specialization <Swift.Int> of Swift.Array.append(__owned A) -> ()"),
                       "specialized Swift.Array.append")
        XCTAssertEqual(SwiftNameSimplifier.simplify("NIOCore.ByteBuffer.writeBytes<A where A: Swift.Sequence>(A) -> Swift.Int"),
                       "NIOCore.ByteBuffer.writeBytes")
    }
}

final class NameAndTableTests: XCTestCase {
    func testPrivateAndCPlusPlusNames() {
        XCTAssertEqual(SwiftNameSimplifier.simplify("Broker.Handler.(channelRead in _0A1B2C3D)(context: NIOCore.Context) -> ()"),
                       "Broker.Handler.channelRead")
        XCTAssertEqual(SwiftNameSimplifier.simplifyCPlusPlus("swift::Box<unsigned long, 8ul>::destroy(swift::OpaqueValue*) const"),
                       "swift::Box::destroy")
    }

    func testInclusiveTableLeavesOutCallersOfEverything() {
        let a = FoldedStacks(values: ["p;loop;read": 50, "p;loop;write": 50])
        let b = FoldedStacks(values: ["p;loop;read": 50, "p;loop;write": 10])
        let changes = BiggestChanges(a: a, b: b, unit: "ns/op")
        XCTAssertEqual(changes.top(5, bySelf: false).map(\.function), ["write"])
        XCTAssertEqual(changes.top(5, bySelf: true).first?.selfDelta, -40)
    }
}
