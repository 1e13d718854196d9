import Foundation
import GRDB
import SurgeResults

/// The run history in an SQLite file (`Reports/history.sqlite` by default): every run added to it,
/// whole (the `surge.run/v1` JSON, byte for byte as encoded), with the columns a query needs
/// (scenario, start time, source commit, host fingerprint, status) beside it, and its `TrendRecord`.
/// Tables: `HistorySchema`.
///
/// - The database is in WAL mode and every write is a `BEGIN IMMEDIATE` transaction that waits up
///   to `busyTimeout` for the lock, so many CI jobs (processes) can append at the same time.
/// - Nothing is rewritten in place: triggers refuse `UPDATE` and `DELETE` on both tables, and adding
///   a run whose id is already there leaves the stored one as it was (`HistoryAddOutcome.alreadyPresent`).
/// - A file that is not a Surge history (not SQLite, damaged, or another program's database) is
///   refused with `HistoryError` naming the file and what SQLite said.
public final class SQLiteHistory: HistoryBackend {
    public let path: String
    public var location: String { path }
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
                try Self.migrate(opened, path: path)
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
            throw HistoryError.wrapSQLite(error, path: path, doing: "open")
        }
    }

    private static func migrate(_ queue: DatabaseQueue, path: String) throws(HistoryError) {
        do {
            try queue.inTransaction(.immediate) { db in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                var stored = HistorySchema.name(version: 0)
                if tables.contains("surge_history") {
                    stored = try String.fetchOne(db, sql: "SELECT value FROM surge_history WHERE key = 'schema'")
                        ?? "none"
                } else if tables.contains(where: { !$0.hasPrefix("sqlite_") }) {
                    let names = tables.sorted().joined(separator: ", ")
                    throw HistoryError.foreignDatabase(
                        path: path,
                        reason: "it is an SQLite database with other tables (\(names)) and no surge_history table")
                } else {
                    try db.execute(sql: "CREATE TABLE surge_history (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                }
                let pending: ArraySlice<HistorySchema.Migration>
                switch HistorySchema.pending(stored: stored) {
                case .success(let steps): pending = steps
                case .failure(let mismatch): throw HistoryError.foreignDatabase(path: path, reason: mismatch.reason)
                }
                guard let last = pending.last else { return .commit }
                for step in pending {
                    try db.execute(sql: step.sqlite)
                    if step.fillsTrendRecords {
                        let stored = try Row.fetchAll(db, sql: HistorySchema.runsWithoutTrendRecords)
                            .map { (row: Row) -> (String, Data) in (row["run_id"], row["result_json"]) }
                        for (id, record) in HistorySchema.trendRecords(for: stored) {
                            try db.execute(sql: "INSERT INTO trend_records (run_id, record) VALUES (?, ?)",
                                           arguments: [id, record])
                        }
                    }
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO surge_history (key, value) VALUES ('schema', ?)",
                    arguments: [HistorySchema.name(version: last.version)])
                return .commit
            }
        } catch let error as HistoryError {
            throw error
        } catch {
            throw HistoryError.wrapSQLite(error, path: path, doing: "set up")
        }
    }

    @discardableResult
    public func add(_ run: RunResult, sourcePath: String? = nil) throws(HistoryError) -> HistoryAddOutcome {
        let row = try HistoryRow(run, sourcePath: sourcePath, location: path)
        do {
            var inserted = false
            try queue.inTransaction(.immediate) { db in
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO runs (run_id, scenario, scenario_sha256, started_at, finished_at,
                            status, source_commit, source_dirty, fingerprint, hostname, cells_ok, cells_failed,
                            cells_skipped, source_path, added_at, result_json)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        row.runID, row.scenario, row.scenarioSHA256, row.startedAt, row.finishedAt, row.status,
                        row.commit, row.dirty, row.fingerprint, row.hostname, row.cellsOK, row.cellsFailed,
                        row.cellsSkipped, row.sourcePath, row.addedAt, row.json,
                    ])
                inserted = db.changesCount > 0
                if inserted {
                    try db.execute(
                        sql: "INSERT INTO trend_records (run_id, record) VALUES (?, ?)",
                        arguments: [row.runID, row.trendRecord])
                }
                return .commit
            }
            return inserted ? .added : .alreadyPresent
        } catch {
            throw HistoryError.wrapSQLite(error, path: path, doing: "append run \(run.runID) to")
        }
    }

    public func list(scenario: String? = nil, since: Date? = nil) throws(HistoryError) -> [HistoryEntry] {
        do {
            return try queue.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT * FROM runs" + Self.whereClause(scenario, since) + " ORDER BY started_at, seq",
                    arguments: Self.arguments(scenario, since)
                ).map(HistoryEntry.init(row:))
            }
        } catch {
            throw HistoryError.wrapSQLite(error, path: path, doing: "read")
        }
    }

    public func runs(scenario: String? = nil, since: Date? = nil) throws(HistoryError) -> [RunResult] {
        let rows: [(String, Data)]
        do {
            rows = try queue.read { db in
                try Row.fetchAll(
                    db,
                    sql: "SELECT run_id, result_json FROM runs" + Self.whereClause(scenario, since)
                        + " ORDER BY started_at, seq",
                    arguments: Self.arguments(scenario, since)
                ).map { ($0["run_id"], $0["result_json"]) }
            }
        } catch {
            throw HistoryError.wrapSQLite(error, path: path, doing: "read")
        }
        return try StoredRuns.decode(rows, location: path)
    }

    public func trendRuns(scenario: String? = nil, since: Date? = nil) throws(HistoryError) -> [RunResult] {
        let rows: [(String, Data?, Data?)]
        do {
            rows = try queue.read { db in
                try Row.fetchAll(
                    db,
                    sql: HistorySchema.trendSelect + Self.whereClause(scenario, since) + " ORDER BY started_at, seq",
                    arguments: Self.arguments(scenario, since)
                ).map { ($0["run_id"], $0["record"], $0["result_json"]) }
            }
        } catch {
            throw HistoryError.wrapSQLite(error, path: path, doing: "read")
        }
        return try StoredRuns.decodeTrends(rows, location: path)
    }

    public func close() async {}

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

extension HistoryEntry {
    init(row: Row) {
        self.init(
            seq: row["seq"], runID: row["run_id"], scenario: row["scenario"], scenarioSHA256: row["scenario_sha256"],
            startedAt: Date(timeIntervalSince1970: row["started_at"]), status: row["status"],
            commit: row["source_commit"], dirty: row["source_dirty"], fingerprint: row["fingerprint"],
            hostname: row["hostname"], cellsOK: row["cells_ok"], cellsFailed: row["cells_failed"],
            cellsSkipped: row["cells_skipped"], sourcePath: row["source_path"],
            addedAt: Date(timeIntervalSince1970: row["added_at"]))
    }
}

extension HistoryError {
    /// What SQLite (through GRDB) said, as a history error naming the file.
    static func wrapSQLite(_ error: any Error, path: String, doing what: String) -> HistoryError {
        if let error = error as? HistoryError { return error }
        guard let db = error as? DatabaseError else {
            return .cannotRead(path: path, reason: "\(error)")
        }
        let message = db.message ?? "SQLite error \(db.resultCode.rawValue)"
        switch db.resultCode.primaryResultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return .corrupt(path: path, reason: "SQLite says: \(message)")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
            return .cannotOpen(path: path, reason: "SQLite says: \(message)")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .cannotWrite(path: path, reason: "the database stayed locked by another process (\(message))")
        default:
            return what == "read" ? .cannotRead(path: path, reason: "SQLite says: \(message)")
                : .cannotWrite(path: path, reason: "cannot \(what) it: SQLite says: \(message)")
        }
    }
}
