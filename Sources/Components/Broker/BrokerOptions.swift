import ComponentKit
import NIOCore

/// When a connection's queued deliveries are handed to the socket.
public enum BrokerFlushMode: String, Sendable, CaseIterable {
    /// Write and flush after every delivered message (one syscall per message).
    case immediate
    /// Accumulate deliveries per connection and flush once per read batch: one write of many messages.
    case batched
    /// Accumulate deliveries per connection and flush after each socket read (at most one read
    /// buffer's worth of messages), so subscribers on other event loops write while the publisher's
    /// loop parses the next read.
    case read
}

/// What happens to a subscriber that reads slower than its publishers write.
public enum BrokerSlowConsumerPolicy: String, Sendable, CaseIterable {
    /// nats-server's way: past a quarter of `max-pending` the publishers feeding it stop being read until
    /// it drains; one that stays over that mark for `write-deadline` is cut off.
    case stall
    /// Cut the subscriber off as soon as its undelivered output passes `max-pending`.
    case cut
}

/// Settings of a `BrokerServer`, built from the `key=value` switches a scenario or the command line gives.
public struct BrokerOptions: Sendable {
    public var host: String
    public var port: Int
    public var statsPort: Int
    public var flush: BrokerFlushMode
    public var dispatchCache: Bool
    public var dispatchCacheSize: Int
    public var maxPayload: Int
    public var maxPending: Int
    public var threads: Int
    public var slowConsumer: BrokerSlowConsumerPolicy
    /// Seconds a stalled subscriber may stay over the stall mark before it is cut (`write-deadline`).
    public var writeDeadline: Double
    /// Seconds between server PINGs (0 = never), and how many may go unanswered (`max-pings`).
    public var pingInterval: Double
    public var maxPings: Int
    /// Credentials a client's CONNECT must carry (empty = no authentication).
    public var user: String
    public var password: String
    public var token: String
    /// Seconds a client has to send its CONNECT when authentication is on.
    public var authTimeout: Double
    /// Lame-duck mode (SIGUSR2): clients are closed over `lameDuckDuration` seconds, after a grace period.
    public var lameDuckDuration: Double
    public var lameDuckGracePeriod: Double
    /// Nanoseconds busy-waited per message delivered (`handicap-ns`; 0 = off): the regression-gate canary.
    public var handicapNanoseconds: Int

    /// Every switch the broker takes, with type, default, range and help.
    package static let declared = ComponentOptionSet(
        component: "broker",
        [
            .choice(
                "flush", default: "batched", among: BrokerFlushMode.allCases.map(\.rawValue),
                help:
                    "immediate: write+flush after every delivered message; batched: one flush (writev) per read batch; "
                    + "read: one flush per socket read"),
            .flag(
                "dispatch-cache", default: true,
                help: "on: per-connection LRU cache of subject -> matching subscriptions, invalidated by SUB/UNSUB; "
                    + "off: match the subject trie for every message"),
            .integer(
                "dispatch-cache-size", default: 1024, in: 1...10_000_000,
                help: "entries of each connection's dispatch cache before LRU eviction"),
            .integer(
                "max-payload", default: 1_048_576, in: 1...(64 << 20),
                help:
                    "largest PUB/HPUB payload in bytes; larger gets -ERR 'Maximum Payload Violation' "
                    + "and the connection closed"
            ),
            .integer(
                "max-pending", default: 67_108_864, in: 1024...(1 << 40),
                help: "bytes of undelivered output a subscriber may have queued before it is cut off as a slow consumer"
            ),
            .choice(
                "slow-consumer", default: "stall", among: BrokerSlowConsumerPolicy.allCases.map(\.rawValue),
                help: "stall: as nats-server, stop reading a subscriber's publishers while it is over a quarter "
                    + "of max-pending, cut it after write-deadline; cut: cut it off at max-pending at once"),
            .duration(
                "write-deadline", default: 10, in: 0.001...86_400,
                help: "slow-consumer=stall: how long a subscriber may stay stalled before it is cut off"),
            .duration(
                "ping-interval", default: 120, in: 0...86_400,
                help: "interval of the server's PINGs to each client (0 = none); the first comes after "
                    + "at most 2s, as in nats-server"),
            .integer(
                "max-pings", default: 2, in: 1...1000,
                help: "unanswered server PINGs after which a client is closed with -ERR 'Stale Connection'"),
            .text(
                "user", default: "", accepted: "a user name without whitespace",
                help: "user a client's CONNECT must name (with pass); empty = no authentication", shown: "none",
                isValid: { !$0.contains(where: \.isWhitespace) }),
            .text(
                "pass", default: "", accepted: "a password", help: "password for user", shown: "none",
                isValid: { _ in true }),
            .text(
                "token", default: "", accepted: "a token without whitespace",
                help: "auth_token a client's CONNECT must carry; empty = none (not with user)", shown: "none",
                isValid: { !$0.contains(where: \.isWhitespace) }),
            .duration(
                "auth-timeout", default: 2, in: 0.001...3600,
                help: "with user or token: a client that sends no CONNECT in this time gets "
                    + "-ERR 'Authentication Timeout'"),
            .duration(
                "lame-duck-duration", default: 120, in: 0.001...86_400,
                help: "SIGUSR2: stop accepting, tell clients (INFO ldm), close them over this time, then exit"),
            .duration(
                "lame-duck-grace-period", default: 10, in: 0...86_400,
                help: "lame duck: wait this long before closing the first client (at most half the duration)"),
            .integer(
                "threads", default: System.coreCount, in: 1...1024, help: "event-loop threads", shown: "number of cores"
            ),
            .handicap(per: "message delivered"),
        ])

    /// - Parameter options: `key=value` switches from `declared`; throws `ComponentOptionError` naming the
    ///   key and the accepted values.
    public init(
        options: [String: String], host: String = "127.0.0.1", port: Int = 0, statsPort: Int = 0
    ) throws(ComponentOptionError) {
        let o = try Self.declared.parse(options)
        self.host = host
        self.port = port
        self.statsPort = statsPort
        flush = o.choice("flush")
        dispatchCache = o.flag("dispatch-cache")
        dispatchCacheSize = o.integer("dispatch-cache-size")
        maxPayload = o.integer("max-payload")
        maxPending = o.integer("max-pending")
        threads = o.integer("threads")
        slowConsumer = o.choice("slow-consumer")
        writeDeadline = o.seconds("write-deadline")
        pingInterval = o.seconds("ping-interval")
        maxPings = o.integer("max-pings")
        user = o.text("user")
        password = o.text("pass")
        token = o.text("token")
        authTimeout = o.seconds("auth-timeout")
        lameDuckDuration = o.seconds("lame-duck-duration")
        lameDuckGracePeriod = o.seconds("lame-duck-grace-period")
        if !token.isEmpty && !user.isEmpty {
            throw ComponentOptionError(
                component: "broker", key: "token", value: token,
                accepted: "no token when user is given (one or the other)")
        }
        if user.isEmpty != password.isEmpty {
            throw ComponentOptionError(
                component: "broker", key: user.isEmpty ? "pass" : "user", value: user.isEmpty ? password : user,
                accepted: "user and pass together")
        }
        handicapNanoseconds = o.integer("handicap-ns")
    }

    /// Whether a client must authenticate in its CONNECT.
    public var authRequired: Bool { !user.isEmpty || !token.isEmpty }
}
