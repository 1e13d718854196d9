import Foundation
import PostgresNIO
import SurgeResults

/// The run history in a PostgreSQL database (`--db postgres://USER@HOST:PORT/DB` or
/// `SURGE_HISTORY_URL`): the same tables as `SQLiteHistory` (`HistorySchema`), append-only, and
/// idempotent by run id, so many runners can add at once and nothing is lost or stored twice.
///
/// - One connection per opened history; every statement is its own transaction, the migrations
///   one transaction under an advisory lock (so processes creating a new history at once create it once).
/// - Adding is `INSERT ... ON CONFLICT (run_id) DO NOTHING`: a run already stored stays as it was.
/// - An `UPDATE`, `DELETE` or `TRUNCATE` on `runs` or `trend_records` is refused by a trigger.
public final class PostgresHistory: HistoryBackend {
    public let url: PostgresHistoryURL
    public var location: String { url.redacted }
    private let connection: PostgresConnection
    private let logger: Logger

    /// Any 64-bit number of our own: the advisory lock that serialises the migrations.
    static let migrationLock: Int64 = 0x5375_7267_6548_6973  // "SurgeHis"

    private init(url: PostgresHistoryURL, connection: PostgresConnection, logger: Logger) {
        self.url = url
        self.connection = connection
        self.logger = logger
    }

    /// Connects to the server `url` names and brings its tables to the current schema.
    public static func connect(_ url: PostgresHistoryURL) async throws(HistoryError) -> PostgresHistory {
        var logger = Logger(label: "surge-history")
        logger.logLevel = .critical
        let configuration = try url.connectionConfiguration()
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw HistoryError.wrapPostgres(error, url: url, doing: "connect to")
        }
        let history = PostgresHistory(url: url, connection: connection, logger: logger)
        do {
            try await history.migrate()
        } catch {
            await history.close()
            throw error
        }
        return history
    }

    private func migrate() async throws(HistoryError) {
        do {
            try await connection.query("BEGIN", logger: logger)
            do {
                try await applyMigrations()
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        } catch {
            throw HistoryError.wrapPostgres(error, url: url, doing: "set up")
        }
    }

    private func applyMigrations() async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
        let found = try await connection.query(
            "SELECT to_regclass('surge_history') IS NOT NULL, to_regclass('runs') IS NOT NULL", logger: logger)
        var hasHistory = false
        var hasRuns = false
        for try await (history, runs) in found.decode((Bool, Bool).self) { (hasHistory, hasRuns) = (history, runs) }
        var stored = HistorySchema.name(version: 0)
        if hasHistory {
            stored = "none"
            let rows = try await connection.query(
                "SELECT value FROM surge_history WHERE key = 'schema'", logger: logger)
            for try await value in rows.decode(String.self) { stored = value }
        } else if hasRuns {
            throw HistoryError.foreignDatabase(
                path: location, reason: "it has a table named runs and no surge_history table")
        } else {
            try await connection.query(
                "CREATE TABLE surge_history (key TEXT PRIMARY KEY, value TEXT NOT NULL)", logger: logger)
        }
        let pending: ArraySlice<HistorySchema.Migration>
        switch HistorySchema.pending(stored: stored) {
        case .success(let steps): pending = steps
        case .failure(let mismatch): throw HistoryError.foreignDatabase(path: location, reason: mismatch.reason)
        }
        guard let last = pending.last else { return }
        for step in pending {
            for statement in step.postgres {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            if step.fillsTrendRecords { try await fillTrendRecords() }
        }
        let version = HistorySchema.name(version: last.version)
        try await connection.query(
            """
            INSERT INTO surge_history (key, value) VALUES ('schema', \(version))
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
            """, logger: logger)
    }

    /// Writes the trend records of the runs stored without one (inside the migration's transaction).
    private func fillTrendRecords() async throws {
        var stored: [(String, Data)] = []
        let rows = try await connection.query(PostgresQuery(unsafeSQL: HistorySchema.runsWithoutTrendRecords), logger: logger)
        for try await (id, json) in rows.decode((String, ByteBuffer).self) {
            stored.append((id, Data(json.readableBytesView)))
        }
        for (id, record) in HistorySchema.trendRecords(for: stored) {
            let bytes = ByteBuffer(bytes: record)
            try await connection.query(
                "INSERT INTO trend_records (run_id, record) VALUES (\(id), \(bytes))", logger: logger)
        }
    }

    @discardableResult
    public func add(_ run: RunResult, sourcePath: String? = nil) async throws(HistoryError) -> HistoryAddOutcome {
        let row = try HistoryRow(run, sourcePath: sourcePath, location: location)
        let json = ByteBuffer(bytes: row.json)
        let trendRecord = ByteBuffer(bytes: row.trendRecord)
        do {
            // One statement, so one transaction: the run and its trend record are stored together or not at all.
            let inserted = try await connection.query(
                """
                WITH added AS (
                    INSERT INTO runs (run_id, scenario, scenario_sha256, started_at, finished_at, status, source_commit,
                        source_dirty, fingerprint, hostname, cells_ok, cells_failed, cells_skipped, source_path,
                        added_at, result_json)
                    VALUES (\(row.runID), \(row.scenario), \(row.scenarioSHA256), \(row.startedAt), \(row.finishedAt),
                        \(row.status), \(row.commit), \(row.dirty), \(row.fingerprint), \(row.hostname), \(row.cellsOK),
                        \(row.cellsFailed), \(row.cellsSkipped), \(row.sourcePath), \(row.addedAt), \(json))
                    ON CONFLICT (run_id) DO NOTHING
                    RETURNING run_id
                )
                INSERT INTO trend_records (run_id, record) SELECT run_id, \(trendRecord) FROM added
                RETURNING run_id
                """, logger: logger)
            var count = 0
            for try await _ in inserted.decode(String.self) { count += 1 }
            return count > 0 ? .added : .alreadyPresent
        } catch {
            throw HistoryError.wrapPostgres(error, url: url, doing: "append run \(run.runID) to")
        }
    }

    public func list(scenario: String? = nil, since: Date? = nil) async throws(HistoryError) -> [HistoryEntry] {
        let query = Self.select("SELECT * FROM runs", scenario: scenario, since: since)
        do {
            var entries: [HistoryEntry] = []
            for try await row in try await connection.query(query, logger: logger) {
                entries.append(try HistoryEntry(postgres: row.makeRandomAccess()))
            }
            return entries
        } catch {
            throw HistoryError.wrapPostgres(error, url: url, doing: "read")
        }
    }

    public func runs(scenario: String? = nil, since: Date? = nil) async throws(HistoryError) -> [RunResult] {
        let query = Self.select("SELECT run_id, result_json FROM runs", scenario: scenario, since: since)
        var rows: [(String, ByteBuffer)] = []
        do {
            for try await row in try await connection.query(query, logger: logger).decode((String, ByteBuffer).self) {
                rows.append(row)
            }
        } catch {
            throw HistoryError.wrapPostgres(error, url: url, doing: "read")
        }
        return try StoredRuns.decode(rows.map { ($0.0, Data($0.1.readableBytesView)) }, location: location)
    }

    public func trendRuns(scenario: String? = nil, since: Date? = nil) async throws(HistoryError) -> [RunResult] {
        var rows: [(String, Data?, Data?)] = []
        do {
            let query = Self.select(HistorySchema.trendSelect, scenario: scenario, since: since)
            for try await (id, record, json) in try await connection.query(query, logger: logger)
                .decode((String, ByteBuffer?, ByteBuffer?).self) {
                rows.append((id, record.map { Data($0.readableBytesView) }, json.map { Data($0.readableBytesView) }))
            }
        } catch {
            throw HistoryError.wrapPostgres(error, url: url, doing: "read")
        }
        return try StoredRuns.decodeTrends(rows, location: location)
    }

    public func close() async {
        try? await connection.close()
    }

    /// `head` (`SELECT … FROM …`) filtered by scenario and start time, oldest first.
    private static func select(_ head: String, scenario: String?, since: Date?) -> PostgresQuery {
        var binds = PostgresBindings()
        var conditions: [String] = []
        if let scenario {
            binds.append(scenario)
            conditions.append("scenario = $\(binds.count)")
        }
        if let since {
            binds.append(since.timeIntervalSince1970)
            conditions.append("started_at >= $\(binds.count)")
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return PostgresQuery(unsafeSQL: "\(head)\(filter) ORDER BY started_at, seq", binds: binds)
    }
}

extension HistoryEntry {
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            seq: try row["seq"].decode(Int64.self), runID: try row["run_id"].decode(String.self),
            scenario: try row["scenario"].decode(String.self),
            scenarioSHA256: try row["scenario_sha256"].decode(String.self),
            startedAt: Date(timeIntervalSince1970: try row["started_at"].decode(Double.self)),
            status: try row["status"].decode(String.self), commit: try row["source_commit"].decode(String?.self),
            dirty: try row["source_dirty"].decode(Bool?.self), fingerprint: try row["fingerprint"].decode(String.self),
            hostname: try row["hostname"].decode(String.self), cellsOK: try row["cells_ok"].decode(Int.self),
            cellsFailed: try row["cells_failed"].decode(Int.self),
            cellsSkipped: try row["cells_skipped"].decode(Int.self),
            sourcePath: try row["source_path"].decode(String?.self),
            addedAt: Date(timeIntervalSince1970: try row["added_at"].decode(Double.self)))
    }
}
