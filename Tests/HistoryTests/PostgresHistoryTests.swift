import Foundation
import SurgeHistory
import SurgeResults
import SurgeTestKit
import XCTest

/// The PostgreSQL history against a real server: the whole run back, append-only, the URL forms,
/// `SURGE_HISTORY_URL`, and the messages a user sees for a bad URL, no server, a wrong password.
final class PostgresHistoryTests: XCTestCase {
    var postgres: TemporaryPostgres?

    override func tearDownWithError() throws {
        postgres?.stop()
    }

    private func startServer() throws -> TemporaryPostgres {
        let server = try TemporaryPostgres.start()
        postgres = server
        return server
    }

    func testRoundTripKeepsTheWholeRunAndRefusesRewrites() async throws {
        let server = try startServer()
        let store = try await PostgresHistory.connect(PostgresHistoryURL(server.url))
        let a = HistoryRuns.run(id: "r1", day: 2, msgs: 100)
        let b = HistoryRuns.run(id: "r2", day: 1, msgs: 200, failed: true)
        let outcomeB = try await store.add(b, sourcePath: "runs/r2.json")
        let outcomeA = try await store.add(a, sourcePath: nil)
        XCTAssertEqual([outcomeA, outcomeB], [.added, .added])
        var changed = a
        changed.cells[0].samples[0].metrics["msgs/s"] = 1
        let again = try await store.add(changed, sourcePath: nil)
        XCTAssertEqual(again, .alreadyPresent)
        await store.close()

        let reopened = try await PostgresHistory.connect(PostgresHistoryURL(server.url))
        let runs = try await reopened.runs(scenario: nil, since: nil)
        XCTAssertEqual(runs, [a, b], "runs come back whole, oldest first, the first one stored kept")
        let trends = try await reopened.trendRuns(scenario: nil, since: nil)
        XCTAssertEqual(trends, runs.map(TrendRecord.reduce), "trend records read back as the reduced runs")
        let entries = try await reopened.list(scenario: "weekly", since: b.startedAt)
        XCTAssertEqual(entries.map(\.runID), ["r2"])
        XCTAssertEqual(entries.first?.cellsFailed, 1)
        XCTAssertEqual(entries.first?.sourcePath, "runs/r2.json")
        XCTAssertEqual(entries.first?.startedAt, b.startedAt)
        await reopened.close()

        for sql in ["UPDATE runs SET source_commit = 'x'", "DELETE FROM runs", "TRUNCATE runs",
                    "UPDATE trend_records SET record = record", "DELETE FROM trend_records", "TRUNCATE trend_records"] {
            let refused = try server.psql(sql)
            XCTAssertNotEqual(refused.status, 0, sql)
            XCTAssertTrue(refused.output.contains("the run history is append-only"), refused.output)
        }
        XCTAssertEqual(try server.psql("SELECT source_commit FROM runs ORDER BY seq").output, "c0001\nc0002\n")
    }

    /// A stored run whose JSON no longer decodes: the message names the run and the PostgreSQL
    /// location, and does not call the database an SQLite file.
    func testADamagedStoredRunNamesTheRunAndTheDatabase() async throws {
        let server = try startServer()
        let url = try PostgresHistoryURL(server.url)
        let store = try await PostgresHistory.connect(url)
        _ = try await store.add(HistoryRuns.run(id: "good", day: 1, msgs: 100), sourcePath: nil)
        let inserted = try server.psql(
            """
            INSERT INTO runs (run_id, scenario, scenario_sha256, started_at, status, fingerprint, hostname, cells_ok,
                cells_failed, cells_skipped, added_at, result_json)
            VALUES ('bad', 'weekly', 'ab12', 0, 'complete', 'f', 'h', 0, 0, 0, 0, convert_to('{"schema":', 'UTF8'))
            """)
        XCTAssertEqual(inserted.status, 0, inserted.output)
        do {
            _ = try await store.runs(scenario: nil, since: nil)
            XCTFail("a damaged stored run was read without an error")
        } catch {
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("\(url.redacted): the run history holds damaged data"), text)
            XCTAssertTrue(text.contains("stored run bad does not decode"), text)
            XCTAssertFalse(text.contains("SQLite"), text)
        }
        await store.close()
    }

    /// The schema version table on both backends: a history a newer surge migrated is refused, not misread.
    func testAHistoryOfANewerSchemaIsRefusedOnBothBackends() async throws {
        let server = try startServer()
        let dir = SurgeBinary.tempDir("surge-pg-schema")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sqlite = dir + "/h.sqlite"
        _ = try SQLiteHistory(path: sqlite)
        let store = try await PostgresHistory.connect(PostgresHistoryURL(server.url))
        await store.close()
        XCTAssertEqual(try server.psql("UPDATE surge_history SET value = 'surge.history/v9'").status, 0)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else {
            try requireOrSkip("sqlite3 command-line tool not installed (Debian package sqlite3)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [sqlite, "UPDATE surge_history SET value = 'surge.history/v9'"]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        for db in [sqlite, server.url] {
            let listed = try surge(["history", "list", "--db", db], environment: [:], in: nil)
            XCTAssertEqual(listed.status, 1)
            XCTAssertTrue(listed.stderr.contains(": not a Surge run history: its schema is 'surge.history/v9', newer "
                + "than this surge's \(HistorySchema.current); use a newer surge"), listed.stderr)
        }
    }

    func testSurgeHistoryURLChoosesPostgresWhenDbIsAbsent() throws {
        let server = try startServer()
        let dir = SurgeBinary.tempDir("surge-pg-env")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/r1.json"
        try RunResultCodec.write(HistoryRuns.run(id: "env-run", day: 1, msgs: 100), path: file)
        let add = try surge(["history", "add", file], environment: ["SURGE_HISTORY_URL": server.url], in: dir)
        XCTAssertEqual(add.status, 0, add.stderr)
        let shown = "postgres://postgres@127.0.0.1:\(server.port)/surge?sslmode=disable"
        XCTAssertEqual(add.stdout, "added env-run (scenario weekly) → \(shown)\n", "the password is not shown")
        XCTAssertEqual(try server.psql("SELECT run_id FROM runs").output, "env-run\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/Reports/history.sqlite"))
        // --db wins over the environment: this goes to an SQLite file.
        let local = try surge(
            ["history", "add", "--db", "h.sqlite", file], environment: ["SURGE_HISTORY_URL": server.url], in: dir)
        XCTAssertEqual(local.stdout, "added env-run (scenario weekly) → h.sqlite\n", local.stderr)
    }

    /// `surge run --history` with SURGE_HISTORY_URL: the finished run lands in PostgreSQL; a bad URL is
    /// refused before anything runs.
    func testSurgeRunHistoryAppendsTheRunToPostgres() throws {
        let server = try startServer()
        let dir = SurgeBinary.tempDir("surge-pg-run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            name: pg-run
            target: { component: broker }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 16, messages: 2000 }
            warmup: 0s
            repetitions: 1
            """.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
        let run = try surge(["run", "s.yaml", "--out", "runs", "--quiet", "--probes", "none", "--history"],
                            environment: ["SURGE_HISTORY_URL": server.url], in: dir)
        XCTAssertEqual(run.status, 0, run.stderr + run.stdout)
        XCTAssertTrue(run.stdout.contains("history: postgres://postgres@127.0.0.1:\(server.port)/surge"), run.stdout)
        XCTAssertEqual(try server.psql("SELECT scenario, cells_ok FROM runs").output, "pg-run|1\n")
        let stored = try server.psql("SELECT run_id FROM runs").output.trimmingCharacters(in: .newlines)
        let written = try FileManager.default.contentsOfDirectory(atPath: dir + "/runs").sorted()
        let files = written.filter { $0.hasSuffix(".json") }
        XCTAssertEqual(try files.map { try RunResultCodec.read(path: "\(dir)/runs/\($0)").runID }, [stored])

        let bad = try surge(["run", "s.yaml", "--out", "runs", "--history", "--history-db", "postgres://h/db?x=1"],
                            environment: [:], in: dir)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("postgres://h/db?x=1: not a usable PostgreSQL URL: unknown parameter 'x'"),
                      bad.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/runs").sorted(), written,
                       "nothing ran")
    }

    func testAUserSeesWhatIsWrongWithTheURLTheServerOrTheLogin() throws {
        let server = try startServer()
        let base = "127.0.0.1:\(server.port)/surge"
        let closed = try TemporaryPostgres.freePort()
        let cases: [(url: String, message: String)] = [
            ("postgres://postgres:\(server.password)@\(base)?sslmode=sometimes",
             "postgres://postgres:***@\(base)?sslmode=sometimes: not a usable PostgreSQL URL: sslmode 'sometimes' is "
                + "not one of disable, prefer, require, verify-full"),
            ("postgres:///surge", "postgres:///surge: not a usable PostgreSQL URL: it names no host"),
            ("postgres://postgres@127.0.0.1:\(closed)/surge",
             "postgres://postgres@127.0.0.1:\(closed)/surge: cannot reach the PostgreSQL server at "
                + "127.0.0.1:\(closed): "
                + "connection refused (is PostgreSQL running and listening there?)"),
            ("postgres://postgres:wrong@\(base)",
             "postgres://postgres@\(base): the PostgreSQL server refused user 'postgres': PostgreSQL says: password "
                + "authentication failed for user \"postgres\" (SQLSTATE 28P01)"),
            ("postgres://postgres@\(base)",
             "postgres://postgres@\(base): the PostgreSQL server refused user 'postgres': the server asks for a "
                + "password; put it in the URL (postgres://USER:PASSWORD@...) or PGPASSWORD"),
            ("postgres://postgres:\(server.password)@127.0.0.1:\(server.port)/nosuchdb",
             "postgres://postgres@127.0.0.1:\(server.port)/nosuchdb: cannot open the run history: PostgreSQL says: "
                + "database \"nosuchdb\" does not exist (SQLSTATE 3D000); create it with `createdb nosuchdb`"),
        ]
        for (url, message) in cases {
            let listed = try surge(["history", "list", "--db", url], environment: [:], in: nil)
            XCTAssertEqual(listed.status, 1, url)
            XCTAssertTrue(listed.stderr.hasPrefix("surge history list: \(message)"), "\(url):\n\(listed.stderr)")
            XCTAssertFalse(listed.stderr.contains(server.password), "a message shows no password")
        }
        // PGPASSWORD stands in for a password left out of the URL.
        let withEnv = try surge(["history", "list", "--db", "postgres://postgres@\(base)"],
                                environment: ["PGPASSWORD": server.password], in: nil)
        XCTAssertEqual(withEnv.status, 0, withEnv.stderr)
        XCTAssertEqual(withEnv.stdout, "no runs\n")
    }

    func testLocationsFromDbValuesAndTheEnvironment() throws {
        XCTAssertEqual(try HistoryLocation.parse("Reports/h.sqlite"), .sqlite(path: "Reports/h.sqlite"))
        let full = "postgresql://ci:s%40cret@db.example:6543/bench?sslmode=require"
        guard case .postgres(let url) = try HistoryLocation.parse(full)
        else { return XCTFail("a postgresql:// URL is PostgreSQL") }
        XCTAssertEqual([url.user, url.password, url.host, url.database], ["ci", "s@cret", "db.example", "bench"])
        XCTAssertEqual(url.port, 6543)
        XCTAssertEqual(url.tlsMode, .require)
        XCTAssertEqual(url.redacted, "postgres://ci@db.example:6543/bench?sslmode=require")
        let defaults = try PostgresHistoryURL("postgres://db.example", environment: ["PGUSER": "runner"])
        XCTAssertEqual([defaults.user, defaults.database, defaults.server], ["runner", "runner", "db.example:5432"])
        XCTAssertEqual(defaults.tlsMode, .prefer)
        XCTAssertEqual(
            try HistoryLocation.resolve(option: nil, environment: [:]), .sqlite(path: "Reports/history.sqlite"))
        XCTAssertEqual(try HistoryLocation.resolve(option: nil, environment: ["SURGE_HISTORY_URL": "x.sqlite"]),
                       .sqlite(path: "x.sqlite"))
        XCTAssertEqual(try HistoryLocation.resolve(option: "y.sqlite", environment: ["SURGE_HISTORY_URL": "x.sqlite"]),
                       .sqlite(path: "y.sqlite"))
        XCTAssertThrowsError(try HistoryLocation.parse("postgres://h:70000/db")) { error in
            XCTAssertTrue("\(error)".hasPrefix("postgres://h:70000/db: not a usable PostgreSQL URL: "), "\(error)")
        }
        XCTAssertThrowsError(try HistoryLocation.parse("postgres://h/db?user=x")) { error in
            XCTAssertTrue("\(error)".contains("unknown parameter 'user' (only sslmode is read)"), "\(error)")
        }
    }

    struct Finished {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `surge` with the test's environment less any history settings, plus `environment`.
    private func surge(_ args: [String], environment: [String: String], in dir: String?) throws -> Finished {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try SurgeBinary.require())
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for key in ["SURGE_HISTORY_URL", "PGPASSWORD", "PGUSER"] { env[key] = nil }
        env.merge(environment) { $1 }
        p.environment = env
        if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("surge-pg-\(UUID().uuidString)")
        let errFile = outFile.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer { for f in [outFile, errFile] { try? FileManager.default.removeItem(at: f) } }
        p.standardOutput = try FileHandle(forWritingTo: outFile)
        p.standardError = try FileHandle(forWritingTo: errFile)
        try p.run()
        p.waitUntilExit()
        return Finished(
            status: p.terminationStatus, stdout: try String(contentsOf: outFile, encoding: .utf8),
            stderr: try String(contentsOf: errFile, encoding: .utf8))
    }
}
