import Foundation
import GRDB

/// The run history: an append-only SQLite database (`Reports/history.sqlite` by default) holding
/// every run added to it, whole (the `surge.run/v1` JSON, byte for byte as encoded), with the
/// columns a query needs (scenario, start time, source commit, host fingerprint, status) beside it.
///
/// - The database is in WAL mode and every write waits up to `busyTimeout` for the lock, so two
///   CI jobs (two processes) can append at the same time.
/// - Nothing is rewritten in place: a trigger refuses `UPDATE` and `DELETE` on `runs`, and adding
///   a run whose id is already there leaves the stored one as it was (`AddOutcome.alreadyPresent`).
/// - A file that is not a Surge history (not SQLite, damaged, or another program's database) is
///   refused with `HistoryError` naming the file and what SQLite said.
public final class HistoryStore: Sendable {
    public static let defaultPath = "Reports/history.sqlite"
    public static let schema = "surge.history/v1"

    public enum AddOutcome: Sendable, Equatable {
        case added
        /// A run with the same id was already stored; it was left untouched.
        case alreadyPresent
    }

    public let path: String
    private let queue: DatabaseQueue

    /// Opens (creating when missing) the history at `path`.
    public init(path: String, busyTimeout: TimeInterval = 30) throws(HistoryError) {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw HistoryError.cannotOpen(path: path, reason: (error as NSError).localizedDescription)
            }
        }
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(busyTimeout)
        config.label = "surge-history"
        // Switching a new file to WAL and creating the schema need an exclusive lock that SQLite's
        // busy handler does not wait for; when two processes create the history at once, the
        // loser retries until `busyTimeout` has passed.
        let deadline = Date().addingTimeInterval(busyTimeout)
        var attempt = 0
        while true {
            do {
                let opened = try Self.open(path: path, configuration: config)
                try Self.createSchema(opened, path: path)
                queue = opened
                return
            } catch let error where error.isLocked && Date() < deadline {
                attempt += 1
                Thread.sleep(forTimeInterval: min(0.01 * Double(attempt), 0.2))
            }
        }
    }

    private static func open(path: String, configuration: Configuration) throws(HistoryError) -> DatabaseQueue {
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw HistoryError.wrap(error, path: path, doing: "open")
        }
    }

    private static func createSchema(_ queue: DatabaseQueue, path: String) throws(HistoryError) {
        do {
            try queue.inTransaction(.immediate) { db in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                if tables.contains("surge_history") {
                    let stored = try String.fetchOne(db, sql: "SELECT value FROM surge_history WHERE key = 'schema'")
                    guard stored == Self.schema else {
                        throw HistoryError.foreignDatabase(path: path, reason: "its schema is '\(stored ?? "none")', this surge reads \(Self.schema)")
                    }
                    return .commit
                }
                if tables.contains(where: { !$0.hasPrefix("sqlite_") }) {
                    throw HistoryError.foreignDatabase(path: path, reason: "it is an SQLite database with other tables (\(tables.sorted().joined(separator: ", "))) and no surge_history table")
                }
                try db.execute(sql: """
                    CREATE TABLE surge_history (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    INSERT INTO surge_history (key, value) VALUES ('schema', '\(Self.schema)');
                    CREATE TABLE runs (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id TEXT NOT NULL UNIQUE,
                        scenario TEXT NOT NULL,
                        scenario_sha256 TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        status TEXT NOT NULL,
                        source_commit TEXT,
                        source_dirty INTEGER,
                        fingerprint TEXT NOT NULL,
                        hostname TEXT NOT NULL,
                        cells_ok INTEGER NOT NULL,
                        cells_failed INTEGER NOT NULL,
                        cells_skipped INTEGER NOT NULL,
                        source_path TEXT,
                        added_at REAL NOT NULL,
                        result_json BLOB NOT NULL
                    );
                    CREATE INDEX runs_scenario_started ON runs (scenario, started_at);
                    CREATE TRIGGER runs_append_only_update BEFORE UPDATE ON runs
                        BEGIN SELECT RAISE(ABORT, 'the run history is append-only'); END;
                    CREATE TRIGGER runs_append_only_delete BEFORE DELETE ON runs
                        BEGIN SELECT RAISE(ABORT, 'the run history is append-only'); END;
                    """)
                return .commit
            }
        } catch let error as HistoryError {
            throw error
        } catch {
            throw HistoryError.wrap(error, path: path, doing: "set up")
        }
    }

    /// Appends `run`; `sourcePath` is the result file it came from (kept for tracing a figure back).
    @discardableResult
    public func add(_ run: RunResult, sourcePath: String? = nil) throws(HistoryError) -> AddOutcome {
        let json: Data
        do {
            json = try RunResultCodec.encode(run)
        } catch {
            throw HistoryError.cannotWrite(path: path, reason: "cannot encode run \(run.runID): \(error)")
        }
        let counts = Dictionary(grouping: run.cells, by: \.status).mapValues(\.count)
        do {
            var inserted = false
            try queue.inTransaction(.immediate) { db in
                try db.execute(sql: """
                    INSERT OR IGNORE INTO runs (run_id, scenario, scenario_sha256, started_at, finished_at, status,
                        source_commit, source_dirty, fingerprint, hostname, cells_ok, cells_failed, cells_skipped,
                        source_path, added_at, result_json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        run.runID, run.scenario.name, run.scenario.sha256, run.startedAt.timeIntervalSince1970,
                        run.finishedAt?.timeIntervalSince1970, run.status.rawValue, run.source?.commit, run.source?.dirty,
                        run.host.fingerprint, run.host.hostname, counts[.ok] ?? 0, counts[.failed] ?? 0, counts[.skipped] ?? 0,
                        sourcePath, Date().timeIntervalSince1970, json,
                    ])
                inserted = db.changesCount > 0
                return .commit
            }
            return inserted ? .added : .alreadyPresent
        } catch let error as HistoryError {
            throw error
        } catch {
            throw HistoryError.wrap(error, path: path, doing: "append run \(run.runID) to")
        }
    }

    /// Stored runs, oldest first, optionally of one scenario and started at or after `since`.
    public func list(scenario: String? = nil, since: Date? = nil) throws(HistoryError) -> [HistoryEntry] {
        do {
            return try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM runs" + Self.whereClause(scenario, since) + " ORDER BY started_at, seq",
                                 arguments: Self.arguments(scenario, since)).map(HistoryEntry.init(row:))
            }
        } catch {
            throw HistoryError.wrap(error, path: path, doing: "read")
        }
    }

    /// The stored runs themselves, oldest first (filters as `list`).
    public func runs(scenario: String? = nil, since: Date? = nil) throws(HistoryError) -> [RunResult] {
        let rows: [(String, Data)]
        do {
            rows = try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT run_id, result_json FROM runs" + Self.whereClause(scenario, since) + " ORDER BY started_at, seq",
                                 arguments: Self.arguments(scenario, since)).map { ($0["run_id"], $0["result_json"]) }
            }
        } catch {
            throw HistoryError.wrap(error, path: path, doing: "read")
        }
        var out: [RunResult] = []
        for (id, json) in rows {
            do {
                out.append(try RunResultCodec.decode(json, path: "\(path) run \(id)"))
            } catch {
                throw HistoryError.corrupt(path: path, reason: "stored run \(id) does not decode: \(error)")
            }
        }
        return out
    }

    private static func whereClause(_ scenario: String?, _ since: Date?) -> String {
        var parts: [String] = []
        if scenario != nil { parts.append("scenario = ?") }
        if since != nil { parts.append("started_at >= ?") }
        return parts.isEmpty ? "" : " WHERE " + parts.joined(separator: " AND ")
    }

    private static func arguments(_ scenario: String?, _ since: Date?) -> StatementArguments {
        var args: [(any DatabaseValueConvertible)?] = []
        if let scenario { args.append(scenario) }
        if let since { args.append(since.timeIntervalSince1970) }
        return StatementArguments(args)
    }
}

/// One stored run as `surge history list` shows it.
public struct HistoryEntry: Sendable, Equatable {
    public var seq: Int64
    public var runID: String
    public var scenario: String
    public var scenarioSHA256: String
    public var startedAt: Date
    public var status: String
    public var commit: String?
    public var dirty: Bool?
    public var fingerprint: String
    public var hostname: String
    public var cellsOK: Int
    public var cellsFailed: Int
    public var cellsSkipped: Int
    public var sourcePath: String?
    public var addedAt: Date

    init(row: Row) {
        seq = row["seq"]
        runID = row["run_id"]
        scenario = row["scenario"]
        scenarioSHA256 = row["scenario_sha256"]
        startedAt = Date(timeIntervalSince1970: row["started_at"])
        status = row["status"]
        commit = row["source_commit"]
        dirty = row["source_dirty"]
        fingerprint = row["fingerprint"]
        hostname = row["hostname"]
        cellsOK = row["cells_ok"]
        cellsFailed = row["cells_failed"]
        cellsSkipped = row["cells_skipped"]
        sourcePath = row["source_path"]
        addedAt = Date(timeIntervalSince1970: row["added_at"])
    }
}
