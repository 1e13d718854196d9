import Foundation

/// How the router finds the route of an address (`matcher:`).
package enum RouteMatcherKind: String, Sendable, CaseIterable {
    /// Every route as an anchored regular expression, tried in priority order.
    case linearRegex = "linear-regex"
    /// A segment trie: static children first, then a parameter, then a wildcard, backtracking.
    case trie
}

/// A table of routes that answers which one an address matches: the most specific, comparing
/// segment by segment (static before parameter before wildcard); nil when none does.
package protocol RouteMatcher {
    init(routes: [RoutePattern])
    func match(_ address: RouterAddress) -> RouteMatch?
}

/// Tries each route's regular expression on the whole address, most specific route first.
package struct LinearRegexMatcher: RouteMatcher {
    private let table: [(route: Int, regex: NSRegularExpression, names: [String])]

    package init(routes: [RoutePattern]) {
        let order = routes.indices.sorted { a, b in
            let (ra, rb) = (routes[a].ranks, routes[b].ranks)
            return ra.lexicographicallyPrecedes(rb) || (ra == rb && a < b)
        }
        table = order.compactMap { i in
            guard let regex = try? NSRegularExpression(pattern: routes[i].regex) else { return nil }
            return (i, regex, routes[i].parameterNames)
        }
    }

    package func match(_ address: RouterAddress) -> RouteMatch? {
        let text = address.text
        let range = NSRange(text.startIndex..., in: text)
        for entry in table {
            guard let m = entry.regex.firstMatch(in: text, range: range) else { continue }
            var parameters: [(name: String, value: Substring)] = []
            for (k, name) in entry.names.enumerated() {
                guard let r = Range(m.range(at: k + 1), in: text) else { continue }
                parameters.append((name, text[r]))
            }
            return RouteMatch(route: entry.route, parameters: parameters)
        }
        return nil
    }
}

/// A trie of path segments per scheme; lookups compare slices and allocate only the parameter list.
/// Every parameter at one position shares one child (names are the matched route's), so the trie
/// prefers what the linear order prefers: static, then parameter, then wildcard, segment by segment.
package struct TrieRouteMatcher: RouteMatcher {
    final class Node: Sendable {
        let literals: [Substring: Node]
        let parameter: Node?
        /// The route a wildcard here completes.
        let wildcard: Int?
        /// The route that ends at this node.
        let route: Int?

        init(literals: [Substring: Node], parameter: Node?, wildcard: Int?, route: Int?) {
            self.literals = literals
            self.parameter = parameter
            self.wildcard = wildcard
            self.route = route
        }
    }

    private let roots: [Substring: Node]
    private let names: [[String]]

    package init(routes: [RoutePattern]) {
        var schemes: [String: [(Int, ArraySlice<RoutePattern.Segment>)]] = [:]
        for (i, r) in routes.enumerated() { schemes[r.scheme, default: []].append((i, r.segments[...])) }
        roots = Dictionary(uniqueKeysWithValues: schemes.map { (Substring($0.key), Self.build($0.value)) })
        names = routes.map(\.parameterNames)
    }

    /// Builds a node from routes' remaining segments; the first route registered wins a tie.
    private static func build(_ routes: [(Int, ArraySlice<RoutePattern.Segment>)]) -> Node {
        var literals: [String: [(Int, ArraySlice<RoutePattern.Segment>)]] = [:]
        var params: [(Int, ArraySlice<RoutePattern.Segment>)] = []
        var wildcard: Int?
        var route: Int?
        for (i, rest) in routes {
            guard let first = rest.first else {
                if route == nil { route = i }
                continue
            }
            switch first {
            case .literal(let l): literals[l, default: []].append((i, rest.dropFirst()))
            case .parameter: params.append((i, rest.dropFirst()))
            case .wildcard: if wildcard == nil { wildcard = i }
            }
        }
        let children = Dictionary(uniqueKeysWithValues: literals.map { (Substring($0.key), build($0.value)) })
        return Node(literals: children, parameter: params.isEmpty ? nil : build(params), wildcard: wildcard, route: route)
    }

    package func match(_ address: RouterAddress) -> RouteMatch? {
        guard let root = roots[address.scheme] else { return nil }
        var values: [Substring] = []
        guard let route = Self.walk(root, address, 0, &values) else { return nil }
        let routeNames = names[route]
        var parameters: [(name: String, value: Substring)] = []
        parameters.reserveCapacity(values.count)
        for (k, v) in values.enumerated() { parameters.append((routeNames[k], v)) }
        return RouteMatch(route: route, parameters: parameters)
    }

    private static func walk(_ node: Node, _ address: RouterAddress, _ depth: Int, _ values: inout [Substring]) -> Int? {
        let segments = address.segments
        if depth == segments.count { return node.route }
        let segment = segments[depth]
        if let child = node.literals[segment], let hit = walk(child, address, depth + 1, &values) { return hit }
        if let p = node.parameter {
            values.append(segment)
            if let hit = walk(p, address, depth + 1, &values) { return hit }
            values.removeLast()
        }
        if let w = node.wildcard {
            values.append(address.text[segment.startIndex...])
            return w
        }
        return nil
    }
}
