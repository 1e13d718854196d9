import ComponentKit

/// Routes, a matcher and per-route handlers for one thread: `send` takes a message, finds its route
/// and hands it to the route's handler (which counts deliveries and payload bytes).
package final class RouterCore {
    package let routes: [RoutePattern]
    private let matcher: any RouteMatcher
    private let pool: RouterMessagePool
    private let splitting: RouterAddress.Splitting
    private let handicap: Handicap
    package private(set) var delivered: [Int]
    package private(set) var payloadBytes = 0
    package private(set) var misses = 0

    /// The route table the micro operations use: static, parameter and wildcard routes.
    package static let benchmarkRoutes = [
        "api://health", "api://static/health/check", "api://users", "api://users/:id", "api://users/:id/orders",
        "api://users/:id/orders/:order", "api://files/*", "api://teams/:team/members/:member",
        "api://teams/:team/settings", "events://orders/:region/created", "events://audit/*",
    ]

    package init(routes: [RoutePattern], options: RouterOptions) {
        self.routes = routes
        switch options.matcher {
        case .trie: matcher = TrieRouteMatcher(routes: routes)
        case .linearRegex: matcher = LinearRegexMatcher(routes: routes)
        }
        pool = RouterMessagePool(enabled: options.pooling)
        splitting = options.splitting
        handicap = options.handicap
        delivered = Array(repeating: 0, count: routes.count)
    }

    package func message(_ address: String, body: UnsafeRawBufferPointer) throws(RouterAddressError) -> RouterMessage {
        let m = pool.take()
        try m.fill(address, body: body, splitting: splitting)
        return m
    }

    package func release(_ m: RouterMessage) { pool.give(m) }

    package func match(_ m: RouterMessage) -> RouteMatch? { matcher.match(m.address) }

    /// Delivers `m` to its route's handler; false when no route matches.
    @discardableResult
    package func send(_ m: RouterMessage) -> Bool {
        handicap.apply()
        guard let hit = matcher.match(m.address) else {
            misses += 1
            return false
        }
        delivered[hit.route] += 1
        payloadBytes += m.payload.count + hit.parameters.count
        return true
    }
}

