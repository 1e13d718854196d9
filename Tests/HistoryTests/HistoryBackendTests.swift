import Foundation
import SurgeHistory
import SurgeResults
import SurgeTestKit
import XCTest

/// The two history backends through the real `surge` binary: four processes appending to one
/// history at once (an SQLite file, a real PostgreSQL server on 127.0.0.1), and the weekly report
/// and the listing written from PostgreSQL equal, byte for byte, to the ones written from SQLite.
final class HistoryBackendTests: XCTestCase {
    var dir: String!
    var postgres: TemporaryPostgres?

    override func setUpWithError() throws {
        dir = SurgeBinary.tempDir("surge-history-backends")
    }

    override func tearDownWithError() throws {
        postgres?.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: four writers at once

    func testFourProcessesAppendingToOneSQLiteHistoryLoseAndDuplicateNothing() async throws {
        let db = dir + "/shared.sqlite"
        let shared = try appendFromFourProcessesAtOnce(db: db)
        let entries = try SQLiteHistory(path: db).list()
        XCTAssertEqual(entries.count, Self.expectedRows)
        XCTAssertEqual(Set(entries.map(\.runID)).count, Self.expectedRows)
        try assertReAppendAddsNothing(db: db, file: shared)
        XCTAssertEqual(try SQLiteHistory(path: db).list().count, Self.expectedRows)
    }

    func testFourProcessesAppendingToOnePostgresHistoryLoseAndDuplicateNothing() async throws {
        let server = try TemporaryPostgres.start()
        postgres = server
        let shared = try appendFromFourProcessesAtOnce(db: server.url)
        let store = try await PostgresHistory.connect(PostgresHistoryURL(server.url))
        let entries = try await store.list(scenario: nil, since: nil)
        await store.close()
        XCTAssertEqual(entries.count, Self.expectedRows)
        XCTAssertEqual(Set(entries.map(\.runID)).count, Self.expectedRows)
        // Counted by PostgreSQL itself, not through Surge's reader.
        XCTAssertEqual(try server.psql("SELECT count(*), count(DISTINCT run_id) FROM runs").output,
                       "\(Self.expectedRows)|\(Self.expectedRows)\n")
        XCTAssertEqual(try server.psql("SELECT value FROM surge_history WHERE key = 'schema'").output,
                       HistorySchema.current + "\n", "four processes creating the schema at once created it once")
        try assertReAppendAddsNothing(db: server.url, file: shared)
        XCTAssertEqual(try server.psql("SELECT count(*) FROM runs").output, "\(Self.expectedRows)\n")
    }

    static let workers = 4
    static let ownRuns = 20
    static let sharedRuns = 8
    /// Every worker adds its own runs and the same shared ones: each shared run is stored once.
    static var expectedRows: Int { workers * ownRuns + sharedRuns }

    /// Starts four `surge history add` processes on `db` before any of them ends; checks each one's
    /// exit status and that exactly one process added each shared run. Returns a shared run's file.
    private func appendFromFourProcessesAtOnce(db: String) throws -> String {
        let surge = try SurgeBinary.require()
        var sharedFiles: [String] = []
        for i in 0..<Self.sharedRuns {
            sharedFiles.append(try write(HistoryRuns.run(id: "shared-\(i)", day: i, msgs: 1000)))
        }
        var processes: [(Process, String, String)] = []
        for worker in 0..<Self.workers {
            var files = sharedFiles
            for i in 0..<Self.ownRuns {
                files.append(try write(HistoryRuns.run(id: "w\(worker)-\(i)", day: i, msgs: 1000 + Double(worker))))
            }
            // Interleave: each process adds the shared runs at a different point of its batch.
            files = Array(files[(worker * 7)...] + files[..<(worker * 7)])
            let out = dir + "/w\(worker).out", err = dir + "/w\(worker).err"
            let p = try launch(surge, ["history", "add", "--db", db] + files, stdout: out, stderr: err)
            processes.append((p, out, err))
        }
        var added = 0, already = 0
        for (p, out, err) in processes {
            p.waitUntilExit()
            let stdout = try String(contentsOfFile: out, encoding: .utf8)
            let stderr = try String(contentsOfFile: err, encoding: .utf8)
            XCTAssertEqual(p.terminationStatus, 0, stderr)
            added += stdout.split(separator: "\n").filter { $0.hasPrefix("added ") }.count
            already += stdout.split(separator: "\n").filter { $0.contains(" is already in ") }.count
        }
        XCTAssertEqual(added, Self.expectedRows, "each run added by exactly one process")
        XCTAssertEqual(already, (Self.workers - 1) * Self.sharedRuns)
        return sharedFiles[0]
    }

    private func assertReAppendAddsNothing(db: String, file: String) throws {
        let again = try SurgeBinary.run(["history", "add", "--db", db, file])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("shared-0 is already in "), again.stdout)
    }

    // MARK: the same report from both

    func testWeeklyReportAndListingFromPostgresEqualTheOnesFromSQLite() async throws {
        let server = try TemporaryPostgres.start()
        postgres = server
        // Added out of time order, so the order stored is not the order listed.
        let runs = HistoryRuns.weeks()
        let files = try runs.indices.map { runs[($0 * 11) % runs.count] }.map(write)
        let sqlite = dir + "/history.sqlite"
        var outputs: [String: (report: [Data], list: String)] = [:]
        for (name, db) in [("sqlite", sqlite), ("postgres", server.url)] {
            let add = try SurgeBinary.run(["history", "add", "--db", db] + files)
            XCTAssertEqual(add.status, 0, add.stderr)
            let out = dir + "/report-\(name)"
            let weekly = try SurgeBinary.run([
                "report", "weekly", "--db", db, "--now", HistoryRuns.nowText, "--since", "7d", "--trend", "28d",
                "--out", out, "--json", out + "/findings.json",
            ])
            XCTAssertEqual(weekly.status, 0, weekly.stderr)
            let report = try ["report.md", "index.html", "findings.json"].map {
                try Data(contentsOf: URL(fileURLWithPath: "\(out)/\($0)"))
            }
            let list = try SurgeBinary.run(["history", "list", "--db", db, "--scenario", "weekly"])
            XCTAssertEqual(list.status, 0, list.stderr)
            outputs[name] = (report, list.stdout)
        }
        let fromSQLite = try XCTUnwrap(outputs["sqlite"]), fromPostgres = try XCTUnwrap(outputs["postgres"])
        for (i, name) in ["report.md", "index.html", "findings.json"].enumerated() {
            XCTAssertEqual(fromPostgres.report[i], fromSQLite.report[i], "\(name) differs between the backends")
        }
        XCTAssertEqual(fromPostgres.list, fromSQLite.list)
        // Equal, and about these runs: the planted step and the failed cell are in the report.
        let markdown = String(decoding: fromSQLite.report[0], as: UTF8.self)
        XCTAssertTrue(markdown.contains("week ending \(HistoryRuns.nowText)"), markdown)
        XCTAssertTrue(markdown.contains("target exited with status 1"), markdown)
        XCTAssertTrue(fromSQLite.list.hasSuffix("\(HistoryRuns.weeks().count) runs\n"), fromSQLite.list)
    }

    private func write(_ run: RunResult) throws -> String {
        let path = "\(dir!)/\(run.runID).json"
        try RunResultCodec.write(run, path: path)
        return path
    }

    private func launch(_ program: String, _ args: [String], stdout: String, stderr: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        try p.run()
        return p
    }
}

/// Runs for the history tests: one scenario, two cells, one run a day.
enum HistoryRuns {
    static let nowText = "2026-11-29T00:00:00Z"
    static let now = ISO8601DateFormatter().date(from: nowText)!

    /// A run `day` days before `now` (plus an hour), both cells at about `msgs` msgs/s.
    static func run(id: String, day: Int, msgs: Double, failed: Bool = false) -> RunResult {
        let time = now.timeIntervalSince1970 - Double(day) * 86400 - 3600
        var run = RunResult(
            runID: id, startedAt: Date(timeIntervalSince1970: time),
            scenario: ScenarioInfo(name: "weekly", file: "Scenarios/weekly.yaml", sha256: "ab12",
                                   thresholds: ["msgs/s": "3%"]),
            source: SourceInfo(commit: String(format: "c%04d", day), dirty: day == 3),
            host: HostInfo(hostname: "h", cpuModel: "cpu", cores: 2, kernel: "6.1", loadAverage: [0.1, 0.2, 0.3],
                           surgeVersion: "0.1.0", buildConfig: "release"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        run.finishedAt = Date(timeIntervalSince1970: time + 30)
        run.cells = ["batched", "immediate"].map { flush in
            let level = flush == "batched" ? msgs : msgs / 2
            let samples = (1...5).map { rep in
                let m = level * (1 + 0.002 * Double((day * 7 + rep * 3) % 5))
                return Sample(repetition: rep, operations: 1000, elapsedSeconds: 1000 / m, metrics: ["msgs/s": m])
            }
            return CellResult(
                name: "BenchmarkWeekly/flush=\(flush)", parameters: [CellParameter(name: "flush", value: flush)],
                samples: samples)
        }
        if failed {
            run.cells[1] = CellResult(name: run.cells[1].name, parameters: run.cells[1].parameters, status: .failed,
                                      reason: "target exited with status 1")
        }
        return run
    }

    /// Four weeks of daily runs; the batched cell loses 10% in the last week; one run has a failed cell.
    static func weeks() -> [RunResult] {
        (0..<28).map { day in run(id: "day-\(day)", day: day, msgs: day < 7 ? 900 : 1000, failed: day == 2) }
    }
}
