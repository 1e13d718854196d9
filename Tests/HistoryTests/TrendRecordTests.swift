import Foundation
import SurgeResults
import SurgeTestKit
import XCTest

@testable import SurgeHistory

/// Trend records: what a weekly report reads instead of each run's whole JSON. A record reads back as
/// the reduced run, bit for bit; a damaged one names its run and byte; a history stored before trend
/// records existed is migrated and its old runs read the same as new ones.
final class TrendRecordTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = SurgeBinary.tempDir("surge-trend-record")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A run with every field a record keeps or drops set, and values a careless codec loses:
    /// NaN and infinities, -0, a negative operation count, an empty string, non-ASCII text.
    static func richRun(id: String = "rich", day: Int = 1) -> RunResult {
        var run = HistoryRuns.run(id: id, day: day, msgs: 1000)
        run.notes = ["allocations: preload"]
        run.probeMethods = ["syscalls/op": "bpf"]
        run.cells[0].keyMetrics = ["msgs/s": "5%", "p99-ns": "20%"]
        run.cells[0].workloadKind = "nats.pubsub"
        run.cells[0].offeredRate = 2000.5
        run.cells[0].probeMethods = ["allocs/op": "preload"]
        run.cells[0].host = run.host
        run.cells[0].profiles = [ProfileReference(
            kind: "cpu", folded: "profiles/a.folded", perOp: nil, svg: "profiles/a.svg", unit: "samples",
            totalPerOp: nil, resolvedShare: 1, unknownFrameShare: 0, method: "perf", operations: 10)]
        run.cells[0].samples[0].metrics["p99-ns"] = .nan
        run.cells[0].samples[1].metrics["p99-ns"] = .infinity
        run.cells[0].samples[2].metrics["p99-ns"] = -.infinity
        run.cells[0].samples[3].metrics["B/op"] = -0.0
        run.cells[0].samples[0].latencyHistogram = "HISTFAAAA"
        run.cells[0].samples[0].targetCounters = ["in_msgs": 12_345, "µ-latency": 0.25]
        run.cells[0].samples[0].visit = 3
        run.cells[0].samples[0].processIDs = [101, 102]
        run.cells[0].samples[4].operations = -1
        run.cells[0].samples[4].pass = "profile"
        run.cells[1].status = .failed
        run.cells[1].reason = "target exited with status 1: «broken pipe»"
        run.cells[1].targetStderr = ["", "fatal: 😱"]
        run.cells[1].samples = []
        return run
    }

    func testARecordReadsBackAsTheReducedRun() throws {
        let run = Self.richRun()
        let back = try TrendRecord.decode(try TrendRecord.encode(run), what: "test")
        let reduced = TrendRecord.reduce(run)
        // NaN != NaN, so compare the bit patterns of every metric, then the rest with NaN replaced.
        for (c, cell) in back.cells.enumerated() {
            for (s, sample) in cell.samples.enumerated() {
                let want = reduced.cells[c].samples[s].metrics
                XCTAssertEqual(sample.metrics.mapValues(\.bitPattern), want.mapValues(\.bitPattern),
                               "cell \(c) sample \(s)")
            }
        }
        XCTAssertEqual(withoutNaN(back), withoutNaN(reduced))
        XCTAssertNil(back.cells[0].samples[0].latencyHistogram)
        XCTAssertNil(back.cells[0].samples[0].visit)
        XCTAssertNil(back.cells[0].profiles)
        XCTAssertNil(back.cells[0].host)
        XCTAssertEqual(back.cells[0].samples[0].targetCounters, ["in_msgs": 12_345, "µ-latency": 0.25])
        XCTAssertEqual(back.cells[1].targetStderr, ["", "fatal: 😱"])
        XCTAssertEqual(back.notes, run.notes)
        XCTAssertEqual(back.host, run.host)
    }

    func testARecordIsMuchSmallerThanTheRunsJSON() throws {
        var run = HistoryRuns.run(id: "big", day: 1, msgs: 1000)
        run.cells = (0..<50).map { i in
            CellResult(name: "BenchmarkYear/publishers=\(i % 10)/payload=\(i / 10)",
                       parameters: [CellParameter(name: "publishers", value: "\(i % 10)"),
                                    CellParameter(name: "payload", value: "\(i / 10)")],
                       samples: (1...6).map { rep in
                           Sample(repetition: rep, operations: 10_000, elapsedSeconds: 0.01 * Double(rep),
                                  metrics: ["msgs/s": 1e6 / Double(rep), "p99-ns": 5e4 * Double(rep)])
                       })
        }
        let record = try TrendRecord.encode(run), json = try RunResultCodec.encode(run)
        XCTAssertLessThan(record.count * 4, json.count, "record \(record.count) B, JSON \(json.count) B")
        XCTAssertEqual(try TrendRecord.decode(record, what: "big"), run)
    }

    func testADamagedRecordNamesTheRunAndTheByte() throws {
        let record = [UInt8](try TrendRecord.encode(Self.richRun()))
        func failure(_ bytes: [UInt8]) -> String {
            do {
                _ = try TrendRecord.decode(Data(bytes), what: "h.sqlite run rich")
                return "decoded"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(failure(Array("{\"schema\":1}".utf8)),
                       "h.sqlite run rich: trend record byte 0: not a trend record (no surge.trend/v1 magic)")
        let cut = failure(Array(record.prefix(record.count - 3)))
        XCTAssertTrue(cut.hasPrefix("h.sqlite run rich: trend record byte "), cut)
        XCTAssertTrue(cut.contains("the record ends early"), cut)
        XCTAssertEqual(failure(record + [0]), "h.sqlite run rich: trend record byte \(record.count): bytes after the last cell")
        // Every single-byte change is either read (a value changed) or refused with a byte offset; none crashes.
        for i in stride(from: 0, to: record.count, by: 7) {
            var damaged = record
            damaged[i] ^= 0xA5
            let outcome = failure(damaged)
            XCTAssertTrue(outcome == "decoded" || outcome.hasPrefix("h.sqlite run rich: trend record byte "),
                          "byte \(i): \(outcome)")
        }
    }

    /// A history written by the surge before trend records (schema v1) migrates to the current one, which
    /// writes the trend records of its runs; they come back as the same reduced runs as new ones. A stored
    /// run whose JSON no longer decodes gets no record and is named when read, as reading it whole names it.
    func testAHistoryFromBeforeTrendRecordsMigratesAndReadsTheSame() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else {
            try requireOrSkip("sqlite3 command-line tool not installed (Debian package sqlite3)")
        }
        let path = dir + "/v1.sqlite"
        let old = Self.richRun(id: "old", day: 3)
        let jsonPath = dir + "/old.json"
        try RunResultCodec.encode(old).write(to: URL(fileURLWithPath: jsonPath))
        let v1 = HistorySchema.migrations[0].sqlite + """
            CREATE TABLE surge_history (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO surge_history VALUES ('schema', 'surge.history/v1');
            INSERT INTO runs (run_id, scenario, scenario_sha256, started_at, status, fingerprint, hostname, cells_ok,
                cells_failed, cells_skipped, added_at, result_json)
            VALUES ('old', 'weekly', 'ab12', \(old.startedAt.timeIntervalSince1970), 'complete', '\(old.host.fingerprint)',
                'h', 1, 1, 0, 0, readfile('\(jsonPath)'));
            INSERT INTO runs (run_id, scenario, scenario_sha256, started_at, status, fingerprint, hostname, cells_ok,
                cells_failed, cells_skipped, added_at, result_json)
            VALUES ('bad', 'broken', 'ab12', 0, 'complete', 'f', 'h', 0, 0, 0, 0, CAST('{"schema":' AS BLOB));
            """
        let made = try sqlite3(path, v1)
        XCTAssertEqual(made.status, 0, made.output)

        let store = try SQLiteHistory(path: path)
        let new = Self.richRun(id: "new", day: 1)
        XCTAssertEqual(try store.add(new), .added)
        XCTAssertEqual(try sqlite3(path, "SELECT value FROM surge_history WHERE key = 'schema'").output,
                       HistorySchema.current + "\n")
        let recorded = "SELECT runs.run_id, trend_records.run_id IS NOT NULL FROM runs "
            + "LEFT JOIN trend_records ON trend_records.run_id = runs.run_id ORDER BY runs.seq"
        XCTAssertEqual(try sqlite3(path, recorded).output, "old|1\nbad|0\nnew|1\n")
        let trends = try store.trendRuns(scenario: "weekly")
        XCTAssertEqual(trends.map(\.runID), ["old", "new"])
        XCTAssertEqual(trends.map(withoutNaN), try store.runs(scenario: "weekly").map { withoutNaN(TrendRecord.reduce($0)) })
        XCTAssertThrowsError(try store.trendRuns()) { error in
            XCTAssertTrue("\(error)".contains("stored run bad does not decode"), "\(error)")
        }
        for sql in ["UPDATE trend_records SET record = x'00'", "DELETE FROM trend_records"] {
            let refused = try sqlite3(path, sql)
            XCTAssertNotEqual(refused.status, 0, sql)
            XCTAssertTrue(refused.output.contains("the run history is append-only"), refused.output)
        }
    }

    /// The same migration on PostgreSQL: a v1 database made with psql gets the records of its runs.
    func testAPostgresHistoryFromBeforeTrendRecordsMigratesAndReadsTheSame() async throws {
        let server = try TemporaryPostgres.start()
        defer { server.stop() }
        let old = Self.richRun(id: "old", day: 3)
        let hex = try RunResultCodec.encode(old).map { String(format: "%02x", $0) }.joined()
        let v1 = HistorySchema.migrations[0].postgres.joined(separator: ";\n") + """
            ;
            CREATE TABLE surge_history (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO surge_history VALUES ('schema', 'surge.history/v1');
            INSERT INTO runs (run_id, scenario, scenario_sha256, started_at, status, fingerprint, hostname, cells_ok,
                cells_failed, cells_skipped, added_at, result_json)
            VALUES ('old', 'weekly', 'ab12', \(old.startedAt.timeIntervalSince1970), 'complete', '\(old.host.fingerprint)',
                'h', 1, 1, 0, 0, decode('\(hex)', 'hex'));
            """
        let made = try server.psql(v1)
        XCTAssertEqual(made.status, 0, made.output)

        let store = try await PostgresHistory.connect(PostgresHistoryURL(server.url))
        let new = Self.richRun(id: "new", day: 1)
        let added = try await store.add(new, sourcePath: nil)
        XCTAssertEqual(added, .added)
        XCTAssertEqual(try server.psql("SELECT value FROM surge_history WHERE key = 'schema'").output,
                       HistorySchema.current + "\n")
        XCTAssertEqual(try server.psql("SELECT run_id FROM trend_records ORDER BY run_id").output, "new\nold\n")
        let trends = try await store.trendRuns(scenario: nil, since: nil)
        let whole = try await store.runs(scenario: nil, since: nil)
        XCTAssertEqual(trends.map(\.runID), ["old", "new"])
        XCTAssertEqual(trends.map(withoutNaN), whole.map { withoutNaN(TrendRecord.reduce($0)) })
        await store.close()
    }

    private func sqlite3(_ path: String, _ sql: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, sql]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

/// `run` with every NaN metric set to a sentinel, so `==` can compare runs holding NaN.
private func withoutNaN(_ run: RunResult) -> RunResult {
    var out = run
    for c in out.cells.indices {
        for s in out.cells[c].samples.indices {
            out.cells[c].samples[s].metrics = out.cells[c].samples[s].metrics.mapValues { $0.isNaN ? -12_345.678 : $0 }
        }
    }
    return out
}
