import Foundation

/// A PostgreSQL history's address, from `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]`
/// (`postgresql://` too). As libpq does: the user defaults to `PGUSER`, else the login name; the
/// password to `PGPASSWORD`; the port to 5432; the database to the user's name; `sslmode` to `prefer`.
public struct PostgresHistoryURL: Sendable, Equatable {
    /// How the connection uses TLS, as libpq's `sslmode`.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate.
        case prefer
        /// TLS always, without checking the certificate.
        case require
        /// TLS always, with the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode

    /// Whether `value` is meant as a PostgreSQL URL (and not an SQLite path).
    public static func looksLikePostgres(_ value: String) -> Bool {
        let lower = value.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    public init(_ value: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(HistoryError)
    {
        let shown = Self.redact(value)
        func bad(_ reason: String) -> HistoryError { .badURL(url: shown, reason: reason) }
        guard Self.looksLikePostgres(value), let parts = URLComponents(string: value) else {
            throw bad("it does not parse as a URL")
        }
        guard let host = parts.host, !host.isEmpty else { throw bad("it names no host") }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let port = parts.port {
            guard (1...65535).contains(port) else { throw bad("port \(port) is not between 1 and 65535") }
            self.port = port
        } else {
            port = 5432
        }
        user = parts.user.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGUSER"] ?? NSUserName()
        password = parts.password ?? environment["PGPASSWORD"]
        var name = parts.path
        if name.hasPrefix("/") { name.removeFirst() }
        guard !name.contains("/") else { throw bad("the database name '\(name)' contains '/'") }
        database = name.isEmpty ? user : name
        tlsMode = .prefer
        for item in parts.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw bad("sslmode '\(item.value ?? "")' is not one of \(modes)")
                }
                tlsMode = mode
            default:
                throw bad("unknown parameter '\(item.name)' (only sslmode is read)")
            }
        }
    }

    /// `HOST:PORT`, as the messages name the server.
    public var server: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The URL without the password, for messages and listings.
    public var redacted: String {
        var text = "postgres://\(user)@\(server)/\(database)"
        if tlsMode != .prefer { text += "?sslmode=\(tlsMode.rawValue)" }
        return text
    }

    /// `value` with any password replaced by `***` (for a message about a URL that did not parse).
    static func redact(_ value: String) -> String {
        guard let scheme = value.range(of: "://"), let at = value[scheme.upperBound...].lastIndex(of: "@") else {
            return value
        }
        let credentials = value[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return value }
        return String(value[..<colon]) + ":***" + String(value[at...])
    }
}
