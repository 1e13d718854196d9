import NIOPosix
import Router
import SurgeLoad
import SurgeTestKit
import XCTest

final class RouterMatcherTests: XCTestCase {
    /// A deterministic table of static, parameter and wildcard routes over a few schemes, and
    /// addresses that hit, nearly hit and miss them.
    private func generatedTable(seed: UInt64) -> (routes: [String], addresses: [String]) {
        var state = seed
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let words = ["users", "orders", "teams", "files", "a", "b", "health", "v1"]
        let schemes = ["api", "events", "rpc"]
        var routes = Set<String>()
        while routes.count < 150 {
            let depth = 1 + next(5)
            var segs: [String] = []
            for i in 0..<depth {
                switch next(6) {
                case 0, 1: segs.append(":p\(i)\(next(3))")
                case 2 where i == depth - 1: segs.append("*")
                default: segs.append(words[next(words.count)])
                }
            }
            routes.insert("\(schemes[next(3)])://" + segs.joined(separator: "/"))
        }
        var addresses: [String] = []
        for _ in 0..<2000 {
            let depth = 1 + next(6)
            let segs = (0..<depth).map { _ in next(3) == 0 ? "x\(next(50))" : words[next(words.count)] }
            addresses.append("\(schemes[next(3)])://" + segs.joined(separator: "/"))
        }
        return (routes.sorted(), addresses)
    }

    func testMatchersAgreeOnEveryRouteOfAGeneratedTable() throws {
        for seed: UInt64 in [1, 2, 3] {
            let (texts, addresses) = generatedTable(seed: seed)
            let routes = try texts.map { try RoutePattern($0) }
            let trie = TrieRouteMatcher(routes: routes)
            let linear = LinearRegexMatcher(routes: routes)
            var hits = 0
            for text in addresses {
                for splitting in RouterAddress.Splitting.allCases {
                    let address = try RouterAddress(text, splitting: splitting)
                    let a = trie.match(address)
                    let b = linear.match(address)
                    XCTAssertEqual(a, b, "\(text) (\(splitting)): trie \(a.map { texts[$0.route] } ?? "miss"), linear \(b.map { texts[$0.route] } ?? "miss")")
                    if a != nil { hits += 1 }
                }
            }
            XCTAssertGreaterThan(hits, 20, "the table must be hit often enough to mean something")
            // Every route's own shape (parameters filled in) is matched by both, to itself or a more specific one.
            for (i, route) in routes.enumerated() {
                let concrete = route.scheme + "://" + route.segments.map { segment -> String in
                    switch segment {
                    case .literal(let l): return l
                    case .parameter: return "v"
                    case .wildcard: return "w/z"
                    }
                }.joined(separator: "/")
                let address = try RouterAddress(concrete)
                XCTAssertEqual(trie.match(address), linear.match(address), concrete)
                XCTAssertNotNil(trie.match(address), "route \(i) \(route.text)")
            }
        }
    }

    func testPriorityAndParameters() throws {
        let routes = try ["api://users/:id", "api://users/me", "api://users/*", "api://users/:id/orders/:order"]
            .map { try RoutePattern($0) }
        for matcher in [TrieRouteMatcher(routes: routes) as any RouteMatcher, LinearRegexMatcher(routes: routes)] {
            XCTAssertEqual(matcher.match(try RouterAddress("api://users/me"))?.route, 1, "static beats parameter")
            let p = matcher.match(try RouterAddress("api://users/42"))
            XCTAssertEqual(p?.route, 0)
            XCTAssertEqual(p?.parameters.first?.value, "42")
            XCTAssertEqual(p?.parameters.first?.name, "id")
            let w = matcher.match(try RouterAddress("api://users/42/files/x"))
            XCTAssertEqual(w?.route, 2)
            XCTAssertEqual(w?.parameters.first?.value, "42/files/x")
            XCTAssertEqual(matcher.match(try RouterAddress("api://users/42/orders/7"))?.parameters.map(\.name), ["id", "order"])
            XCTAssertNil(matcher.match(try RouterAddress("rpc://users/42")))
        }
    }

    func testBadAddresses() {
        for splitting in RouterAddress.Splitting.allCases {
            XCTAssertThrowsError(try RouterAddress("users/1", splitting: splitting)) {
                XCTAssertEqual("\($0)", "address 'users/1': expected scheme://path")
            }
            XCTAssertThrowsError(try RouterAddress("api://a//b", splitting: splitting)) {
                XCTAssertEqual("\($0)", "address 'api://a//b': empty path segment")
            }
        }
        XCTAssertThrowsError(try RoutePattern("api://*/x")) { XCTAssertTrue("\($0)".contains("'*' must be the last")) }
    }

    /// The micro protocol end to end over loopback, for every router operation and switch.
    func testMicroOperationsAnswerTheProtocol() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        for op in RouterMicroOp.allCases {
            for matcher in ["trie", "linear-regex"] {
                let router = Router(options: try RouterOptions(options: ["micro": op.rawValue, "matcher": matcher]))
                let (port, _) = try await router.start()
                let workload = try MicroWorkload(parameters: WorkloadParameters(["iterations": .scalar("500")]))
                let session = try await workload.makeSession(endpoints: [Endpoint(host: "127.0.0.1", port: port)], group: group)
                let outcome = try await session.run(.measure) { _ in }
                XCTAssertEqual(outcome.operations, 500)
                XCTAssertGreaterThan(outcome.metrics["ns/op"] ?? 0, 0, "\(op)")
                await session.close()
                await router.stop()
            }
        }
    }
}

/// `surge serve router` outside micro mode: addresses as lines over loopback.
final class RouterLineProtocolTests: XCTestCase {
    func testRoutesMissesAndErrorsOverTheSocket() async throws {
        for matcher in ["trie", "linear-regex"] {
            let router = Router(options: try RouterOptions(options: ["matcher": matcher, "path-split": "split"]))
            let (port, _) = try await router.start()
            let client = try RawTCPConnection(port: port)
            try client.send("api://users/7/orders/9\napi://nope\nbad address\napi://files/a/b\n")
            let text = String(decoding: client.receive { String(decoding: $0, as: UTF8.self).split(separator: "\n").count >= 4 },
                              as: UTF8.self)
            XCTAssertEqual(text, """
                ROUTE api://users/:id/orders/:order id=7 order=9
                MISS
                ERR address 'bad address': expected scheme://path
                ROUTE api://files/* *=a/b

                """, matcher)
            await router.stop()
        }
    }
}
