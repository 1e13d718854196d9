import Foundation
import SurgeTestKit
import XCTest
@testable import SurgeReport

/// How the renderer treats a gnuplot that hangs or fails, and a stale chart it cannot remove. The
/// hanging and failing programs are shell scripts standing in for gnuplot.
final class GnuplotRendererTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-gnuplot-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func program(_ name: String, _ body: String) throws -> String {
        let path = "\(dir)/\(name)"
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    let chart = ChartSpec(id: "c", title: "a chart", commands: ["plot $DATA using 1:2 with lines"], data: "1 2\n2 3\n")

    /// A program that never answers (and keeps its standard error open) is stopped at the deadline.
    func testAHungProgramIsStoppedAtTheDeadline() throws {
        let renderer = GnuplotRenderer(executable: try program("hangs", "exec sleep 30"), timeoutSeconds: 1)
        let started = Date()
        let output = renderer.render([chart], formats: [.svg, .png], pngDirectory: "\(dir)/charts")
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertLessThan(elapsed, 10, "returned after \(elapsed) s")
        XCTAssertTrue(output.svg.isEmpty)
        XCTAssertTrue(output.reason?.contains("no answer after 1s") == true, output.reason ?? "no reason")
    }

    /// A failing program's exit status and last error lines are the reason, even when it writes far more
    /// than a pipe holds before it fails.
    func testAFailingProgramsStatusAndLastLinesAreTheReason() throws {
        let body = "head -c 300000 /dev/zero | tr '\\\\0' x >&2; echo >&2; echo 'line 1: unknown terminal' >&2; exit 3"
        let renderer = GnuplotRenderer(executable: try program("fails", body), timeoutSeconds: 20)
        let output = renderer.render([chart], formats: [.svg, .png], pngDirectory: "\(dir)/charts")
        let reason = try XCTUnwrap(output.reason)
        XCTAssertTrue(reason.contains("exit status 3"), reason)
        XCTAssertTrue(reason.hasSuffix("line 1: unknown terminal"), reason)
    }

    /// A stale PNG that cannot be removed stays, and the written report says so by name.
    func testAStaleChartThatCannotBeRemovedIsReported() throws {
        let gnuplot = GnuplotRenderer()
        guard gnuplot.resolvedExecutable() != nil else {
            try requireOrSkip("gnuplot is not installed (Debian package gnuplot-nox)")
        }
        let baseline = SyntheticRuns.run(id: "base", at: 1_795_000_000, commit: "1111")
        let run = SyntheticRuns.run(id: "new", at: 1_795_500_000, commit: "2222", seed: 3)
        let writer = ReportWriter(gnuplot: gnuplot)
        let first = try RunReport(run: run, runPath: "n.json", baseline: baseline, baselinePath: "b.json")
        _ = try writer.write(first, to: dir)
        let stale = "\(dir)/charts/before-after-msgs-s.png"
        XCTAssertTrue(FileManager.default.fileExists(atPath: stale))
        // Root may delete from any directory, so an immutable file (ext4's chattr +i) is what stays.
        let pin = geteuid() == 0 ? ["chattr", "+i", stale] : ["chmod", "555", "\(dir)/charts"]
        let unpin = geteuid() == 0 ? ["chattr", "-i", stale] : ["chmod", "755", "\(dir)/charts"]
        guard shell(pin) == 0 else {
            try requireOrSkip("\(pin.joined(separator: " ")) failed: this file system cannot pin a file")
        }
        defer { _ = shell(unpin) }
        let written = try writer.write(try RunReport(run: run, runPath: "n.json"), to: dir)
        let note = try XCTUnwrap(written.chartsNote)
        XCTAssertTrue(note.contains("cannot remove the stale chart \(stale)"), note)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/report.md"), "the report is still written")
    }

    func shell(_ argv: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
