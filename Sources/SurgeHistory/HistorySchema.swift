import Foundation
import SurgeResults

/// The history's tables, the same on SQLite and PostgreSQL, and the migrations that make them.
///
/// `surge_history` is the schema version table: its row `schema` holds `surge.history/vN`, the last
/// migration applied. Opening a history applies the missing migrations in one transaction (under a
/// lock, so many processes opening a new history at once create it once) and refuses a history
/// written by a newer surge. `runs` and `trend_records` are append-only on both: triggers refuse
/// `UPDATE` and `DELETE`.
public enum HistorySchema {
    /// One step of the schema, written for each backend's SQL dialect.
    struct Migration: Sendable {
        var version: Int
        var sqlite: String
        var postgres: [String]
        /// After the SQL: write the trend records of the runs already stored.
        var fillsTrendRecords = false
    }

    static let prefix = "surge.history/v"
    /// The schema this surge reads and writes.
    public static var current: String { name(version: migrations.count) }

    static func name(version: Int) -> String { "\(prefix)\(version)" }

    /// The version in a stored `schema` value, or nil when it is not `surge.history/vN`.
    static func version(of stored: String) -> Int? {
        guard stored.hasPrefix(prefix) else { return nil }
        return Int(stored.dropFirst(prefix.count))
    }

    /// Index `i` holds the migration to version `i + 1`.
    static let migrations: [Migration] = [
        Migration(
            version: 1,
            sqlite: """
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
                """,
            postgres: [
                """
                CREATE TABLE runs (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    run_id TEXT NOT NULL UNIQUE,
                    scenario TEXT NOT NULL,
                    scenario_sha256 TEXT NOT NULL,
                    started_at DOUBLE PRECISION NOT NULL,
                    finished_at DOUBLE PRECISION,
                    status TEXT NOT NULL,
                    source_commit TEXT,
                    source_dirty BOOLEAN,
                    fingerprint TEXT NOT NULL,
                    hostname TEXT NOT NULL,
                    cells_ok INTEGER NOT NULL,
                    cells_failed INTEGER NOT NULL,
                    cells_skipped INTEGER NOT NULL,
                    source_path TEXT,
                    added_at DOUBLE PRECISION NOT NULL,
                    result_json BYTEA NOT NULL
                )
                """,
                "CREATE INDEX runs_scenario_started ON runs (scenario, started_at)",
                """
                CREATE FUNCTION surge_runs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the run history is append-only'; END $$
                """,
                """
                CREATE TRIGGER runs_append_only BEFORE UPDATE OR DELETE ON runs
                    FOR EACH ROW EXECUTE FUNCTION surge_runs_append_only()
                """,
                """
                CREATE TRIGGER runs_append_only_truncate BEFORE TRUNCATE ON runs
                    FOR EACH STATEMENT EXECUTE FUNCTION surge_runs_append_only()
                """,
            ]
        ),
        // Trend records (`TrendRecord`), a row per run in a table of their own, append-only like `runs`.
        // Opening a v1 history fills them in for the runs already stored (`fillsTrendRecords`).
        Migration(
            version: 2,
            sqlite: """
                CREATE TABLE trend_records (
                    run_id TEXT PRIMARY KEY,
                    record BLOB NOT NULL
                );
                CREATE TRIGGER trend_records_append_only_update BEFORE UPDATE ON trend_records
                    BEGIN SELECT RAISE(ABORT, 'the run history is append-only'); END;
                CREATE TRIGGER trend_records_append_only_delete BEFORE DELETE ON trend_records
                    BEGIN SELECT RAISE(ABORT, 'the run history is append-only'); END;
                """,
            postgres: [
                """
                CREATE TABLE trend_records (
                    run_id TEXT PRIMARY KEY,
                    record BYTEA NOT NULL
                )
                """,
                """
                CREATE TRIGGER trend_records_append_only BEFORE UPDATE OR DELETE ON trend_records
                    FOR EACH ROW EXECUTE FUNCTION surge_runs_append_only()
                """,
                """
                CREATE TRIGGER trend_records_append_only_truncate BEFORE TRUNCATE ON trend_records
                    FOR EACH STATEMENT EXECUTE FUNCTION surge_runs_append_only()
                """,
            ],
            fillsTrendRecords: true
        ),
    ]

    /// The runs joined with their trend records, in both dialects: the run's id, its record, and its JSON
    /// only when it has no record (filters on `scenario` and `started_at` apply to `runs`).
    static let trendSelect = """
        SELECT runs.run_id, trend_records.record, \
        CASE WHEN trend_records.record IS NULL THEN runs.result_json END AS result_json \
        FROM runs LEFT JOIN trend_records ON trend_records.run_id = runs.run_id
        """

    /// The runs a migration that fills trend records must read: those without one.
    static let runsWithoutTrendRecords = """
        SELECT runs.run_id, runs.result_json FROM runs \
        WHERE NOT EXISTS (SELECT 1 FROM trend_records WHERE trend_records.run_id = runs.run_id) ORDER BY runs.seq
        """

    /// The trend records of stored runs (id, JSON) that have none yet. A run whose JSON does not decode
    /// gets none: reading it later fails with the error that names it, as reading it whole does.
    static func trendRecords(for rows: [(String, Data)]) -> [(String, Data)] {
        rows.compactMap { id, json in
            do {
                return (id, try TrendRecord.encode(RunResultCodec.decode(json, path: "run \(id)")))
            } catch {
                return nil
            }
        }
    }

    /// The migrations a history at `stored` still needs, or the reason it cannot be used.
    static func pending(stored: String) -> Result<ArraySlice<Migration>, SchemaMismatch> {
        guard let version = version(of: stored) else {
            return .failure(SchemaMismatch(reason: "its schema is '\(stored)', this surge reads \(current)"))
        }
        guard version <= migrations.count else {
            return .failure(SchemaMismatch(
                reason: "its schema is '\(stored)', newer than this surge's \(current); use a newer surge"))
        }
        return .success(migrations[version...])
    }

    struct SchemaMismatch: Error {
        var reason: String
    }
}

/// A run as the history stores it: the columns a query needs and the whole JSON beside them (`runs`),
/// and the run's trend record (`trend_records`).
struct HistoryRow: Sendable {
    var runID: String
    var scenario: String
    var scenarioSHA256: String
    var startedAt: Double
    var finishedAt: Double?
    var status: String
    var commit: String?
    var dirty: Bool?
    var fingerprint: String
    var hostname: String
    var cellsOK: Int
    var cellsFailed: Int
    var cellsSkipped: Int
    var sourcePath: String?
    var addedAt: Double
    var json: Data
    var trendRecord: Data

    init(_ run: RunResult, sourcePath: String?, location: String) throws(HistoryError) {
        do {
            json = try RunResultCodec.encode(run)
            trendRecord = try TrendRecord.encode(run)
        } catch {
            throw HistoryError.cannotWrite(path: location, reason: "cannot encode run \(run.runID): \(error)")
        }
        let counts = Dictionary(grouping: run.cells, by: \.status).mapValues(\.count)
        runID = run.runID
        scenario = run.scenario.name
        scenarioSHA256 = run.scenario.sha256
        startedAt = run.startedAt.timeIntervalSince1970
        finishedAt = run.finishedAt?.timeIntervalSince1970
        status = run.status.rawValue
        commit = run.source?.commit
        dirty = run.source?.dirty
        fingerprint = run.host.fingerprint
        hostname = run.host.hostname
        cellsOK = counts[.ok] ?? 0
        cellsFailed = counts[.failed] ?? 0
        cellsSkipped = counts[.skipped] ?? 0
        self.sourcePath = sourcePath
        addedAt = Date().timeIntervalSince1970
    }
}

extension HistoryError {
    /// A stored run whose JSON no longer decodes.
    static func undecodable(location: String, runID: String, error: any Error) -> HistoryError {
        .corrupt(path: location, reason: "stored run \(runID) does not decode: \(error)")
    }
}
