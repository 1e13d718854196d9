import Foundation

/// Why the run history could not be used. Every message starts with the history's location: the
/// SQLite file's path, or the PostgreSQL URL without its password.
public enum HistoryError: Error, CustomStringConvertible, Sendable, Equatable {
    case cannotOpen(path: String, reason: String)
    /// Not an SQLite file, or a damaged one; or a stored run that no longer decodes (SQLite or
    /// PostgreSQL: the message says which).
    case corrupt(path: String, reason: String)
    /// A valid database that is not a Surge history (another program's tables, another schema).
    case foreignDatabase(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case cannotRead(path: String, reason: String)
    /// A `postgres://` value that is not a usable PostgreSQL URL.
    case badURL(url: String, reason: String)
    /// No PostgreSQL server answered at `server` (`HOST:PORT`).
    case unreachable(path: String, server: String, reason: String)
    /// The PostgreSQL server refused the user (wrong password, no such role, no entry in pg_hba.conf).
    case authentication(path: String, user: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "\(path): cannot open the run history: \(reason)"
        case .corrupt(let path, let reason):
            if PostgresHistoryURL.looksLikePostgres(path) {
                return "\(path): the run history holds damaged data (\(reason)); "
                    + "use another database with --db and add the result files again"
            }
            return "\(path): the run history is damaged or not an SQLite database (\(reason)); "
                + "move it aside and add the result files again"
        case .foreignDatabase(let path, let reason): return "\(path): not a Surge run history: \(reason)"
        case .cannotWrite(let path, let reason): return "\(path): cannot write to the run history: \(reason)"
        case .cannotRead(let path, let reason): return "\(path): cannot read the run history: \(reason)"
        case .badURL(let url, let reason):
            return "\(url): not a usable PostgreSQL URL: \(reason) "
                + "(expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
                + "[?sslmode=disable|prefer|require|verify-full])"
        case .unreachable(let path, let server, let reason):
            return "\(path): cannot reach the PostgreSQL server at \(server): \(reason)"
        case .authentication(let path, let user, let reason):
            return "\(path): the PostgreSQL server refused user '\(user)': \(reason)"
        }
    }

    /// True for "another process holds the lock", the one error worth waiting out.
    var isLocked: Bool {
        if case .cannotWrite(_, let reason) = self { return reason.hasPrefix("the database stayed locked") }
        return false
    }
}
