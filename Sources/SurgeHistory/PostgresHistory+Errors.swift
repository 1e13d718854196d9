import Foundation
import PostgresNIO

extension PostgresHistoryURL {
    /// The postgres-nio configuration for this URL (TLS as `sslmode` says).
    func connectionConfiguration() throws(HistoryError) -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch tlsMode {
            case .disable:
                tls = .disable
            case .prefer, .require:
                // As libpq: these encrypt but do not check the server's certificate.
                var settings = TLSConfiguration.makeClientConfiguration()
                settings.certificateVerification = .none
                let context = try NIOSSLContext(configuration: settings)
                tls = tlsMode == .prefer ? .prefer(context) : .require(context)
            case .verifyFull:
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            throw HistoryError.cannotOpen(
                path: redacted, reason: "cannot set up TLS (sslmode=\(tlsMode.rawValue)): \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        if tlsMode == .verifyFull { configuration.options.tlsServerName = host }
        return configuration
    }
}

extension HistoryError {
    /// What postgres-nio (or the server) said, as a history error naming the URL and the server.
    /// postgres-nio's own description hides everything, so the parts are read here.
    static func wrapPostgres(_ error: any Error, url: PostgresHistoryURL, doing what: String) -> HistoryError {
        if let error = error as? HistoryError { return error }
        let location = url.redacted
        guard let psql = error as? PSQLError else {
            return what == "read" ? .cannotRead(path: location, reason: "\(error)")
                : .cannotWrite(path: location, reason: "cannot \(what) it: \(error)")
        }
        switch psql.code {
        case .connectionError:
            return .unreachable(path: location, server: url.server, reason: connectionReason(psql.underlying))
        case .serverClosedConnection, .clientClosedConnection:
            return .unreachable(
                path: location, server: url.server,
                reason: "the connection closed (\(psql.underlying.map { "\($0)" } ?? "no reason given"))")
        case .sslUnsupported:
            return .cannotOpen(
                path: location, reason: "the server does not offer TLS and sslmode=\(url.tlsMode.rawValue) needs it")
        case .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest:
            let why = psql.underlying.map { "\($0)" } ?? "\(psql.code)"
            return .cannotOpen(path: location, reason: "TLS failed: \(why)")
        case .authMechanismRequiresPassword:
            return .authentication(
                path: location, user: url.user,
                reason: "the server asks for a password; put it in the URL (postgres://USER:PASSWORD@...) "
                    + "or PGPASSWORD")
        case .unsupportedAuthMechanism, .saslError:
            return .authentication(
                path: location, user: url.user, reason: "authentication failed (\(String(reflecting: psql)))")
        case .server:
            return serverError(psql, url: url, doing: what)
        default:
            let reason = "\(psql.code)\(psql.underlying.map { ": \($0)" } ?? "")"
            return what == "read" ? .cannotRead(path: location, reason: reason)
                : .cannotWrite(path: location, reason: "cannot \(what) it: \(reason)")
        }
    }

    private static func serverError(_ psql: PSQLError, url: PostgresHistoryURL, doing what: String) -> HistoryError {
        let location = url.redacted
        let state = psql.serverInfo?[.sqlState] ?? "?????"
        let message = psql.serverInfo?[.message] ?? "no message"
        let says = "PostgreSQL says: \(message) (SQLSTATE \(state))"
        switch state {
        case "28P01", "28000":  // invalid_password, invalid_authorization_specification
            return .authentication(path: location, user: url.user, reason: says)
        case "3D000":  // invalid_catalog_name: no such database
            return .cannotOpen(path: location, reason: "\(says); create it with `createdb \(url.database)`")
        case "57P03":  // cannot_connect_now: starting up or shutting down
            return .unreachable(path: location, server: url.server, reason: says)
        default:
            switch what {
            case "read": return .cannotRead(path: location, reason: says)
            case "connect to": return .cannotOpen(path: location, reason: says)
            default: return .cannotWrite(path: location, reason: "cannot \(what) it: \(says)")
            }
        }
    }

    /// "connection refused", "timed out after 10 s", "cannot resolve the host": the root of a failed connect.
    private static func connectionReason(_ error: (any Error)?) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve the host name (\(dns))" }
            if let first = error.connectionErrors.first { return connectionReason(first.error) }
            return "no address to connect to"
        case let error as IOError:
            let reason = String(cString: strerror(error.errnoCode)).lowercased()
            return error.errnoCode == ECONNREFUSED ? reason + " (is PostgreSQL running and listening there?)" : reason
        case let error as ChannelError:
            if case .connectTimeout(let after) = error {
                return "no answer within \(after.nanoseconds / 1_000_000_000) s"
            }
            return "\(error)"
        case let error?:
            return "\(error)"
        case nil:
            return "the connection failed"
        }
    }
}
