import Foundation
import SurgeResults

/// What adding a run to the history did.
public enum HistoryAddOutcome: Sendable, Equatable {
    case added
    /// A run with the same id was already stored; it was left untouched.
    case alreadyPresent
}

/// A run history: append-only, idempotent by run id, the same tables on every backend.
/// `SQLiteHistory` (a file, the embedded default) and `PostgresHistory` (a server) implement it.
public protocol HistoryBackend: Sendable {
    /// Where the history is, for messages: the SQLite path, or the PostgreSQL URL without password.
    var location: String { get }
    /// Appends `run`; `sourcePath` is the result file it came from (kept for tracing a figure back).
    /// A run whose id is already stored is left as it was (`.alreadyPresent`).
    func add(_ run: RunResult, sourcePath: String?) async throws(HistoryError) -> HistoryAddOutcome
    /// Stored runs, oldest first, optionally of one scenario and started at or after `since`.
    func list(scenario: String?, since: Date?) async throws(HistoryError) -> [HistoryEntry]
    /// The stored runs themselves, oldest first (filters as `list`).
    func runs(scenario: String?, since: Date?) async throws(HistoryError) -> [RunResult]
    /// The stored runs reduced to what a trend report reads (`TrendRecord.reduce`: no latency histograms,
    /// profiles or visits), oldest first (filters as `list`); much faster to read than `runs`.
    func trendRuns(scenario: String?, since: Date?) async throws(HistoryError) -> [RunResult]
    /// Lets go of the database (the PostgreSQL connection; nothing for SQLite).
    func close() async
}

/// Where a history is: an SQLite file or a PostgreSQL database, read from a `--db` value.
public enum HistoryLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresHistoryURL)

    /// The SQLite file used when neither `--db` nor `SURGE_HISTORY_URL` names a history.
    public static let defaultPath = "Reports/history.sqlite"
    /// The environment variable read when `--db` is absent.
    public static let environmentVariable = "SURGE_HISTORY_URL"

    /// A `postgres://` or `postgresql://` URL names a PostgreSQL database; anything else an SQLite file.
    public static func parse(_ value: String) throws(HistoryError) -> HistoryLocation {
        if PostgresHistoryURL.looksLikePostgres(value) { return .postgres(try PostgresHistoryURL(value)) }
        return .sqlite(path: value)
    }

    /// `--db` when given, else `SURGE_HISTORY_URL` when set and not empty, else `Reports/history.sqlite`.
    public static func resolve(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(HistoryError) -> HistoryLocation {
        if let option { return try parse(option) }
        if let url = environment[environmentVariable], !url.isEmpty { return try parse(url) }
        return .sqlite(path: defaultPath)
    }

    /// The path, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return url.redacted
        }
    }

    /// Whether there is a history to read at all: an SQLite file must exist; a server is asked on open.
    public var mayHoldHistory: Bool {
        switch self {
        case .sqlite(let path): return FileManager.default.fileExists(atPath: path)
        case .postgres: return true
        }
    }
}

/// Opens histories by location.
public enum HistoryStore {
    /// Opens (creating when missing, migrating when older) the history at `location`.
    public static func open(_ location: HistoryLocation) async throws(HistoryError) -> any HistoryBackend {
        switch location {
        case .sqlite(let path): return try SQLiteHistory(path: path)
        case .postgres(let url): return try await PostgresHistory.connect(url)
        }
    }
}
