import Foundation
import GRDB

/// Why the run history could not be used; every message names the database file.
public enum HistoryError: Error, CustomStringConvertible, Sendable {
    case cannotOpen(path: String, reason: String)
    /// Not an SQLite file, or a damaged one.
    case corrupt(path: String, reason: String)
    /// A valid SQLite database that is not a Surge history.
    case foreignDatabase(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "\(path): cannot open the run history: \(reason)"
        case .corrupt(let path, let reason):
            return "\(path): the run history is damaged or not an SQLite database (\(reason)); move it aside and add the result files again"
        case .foreignDatabase(let path, let reason): return "\(path): not a Surge run history: \(reason)"
        case .cannotWrite(let path, let reason): return "\(path): cannot write to the run history: \(reason)"
        case .cannotRead(let path, let reason): return "\(path): cannot read the run history: \(reason)"
        }
    }

    static func wrap(_ error: any Error, path: String, doing what: String) -> HistoryError {
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

/// A look-back period written like `30d`, `7d`, `12h`, `2w`: how far back `--since` reaches.
public enum LookbackPeriod {
    /// Seconds in the period, or nil when the text is not a number followed by `h`, `d` or `w`.
    public static func seconds(_ text: String) -> TimeInterval? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let unit = t.last, let n = Double(t.dropLast()), n >= 0, n.isFinite else { return nil }
        switch unit {
        case "h": return n * 3600
        case "d": return n * 86400
        case "w": return n * 7 * 86400
        default: return nil
        }
    }

    /// The start of the period ending at `now`.
    public static func start(_ text: String, now: Date = Date()) -> Date? {
        seconds(text).map { now.addingTimeInterval(-$0) }
    }
}

extension HistoryError {
    /// True for "another process holds the lock", the one error worth waiting out.
    var isLocked: Bool {
        if case .cannotWrite(_, let reason) = self { return reason.hasPrefix("the database stayed locked") }
        return false
    }
}
