import Foundation

/// A registered route `scheme://a/:id/*`: static segments, `:name` parameters (one segment each)
/// and a final `*` wildcard (one or more segments; its value is the rest of the path, named `*`).
package struct RoutePattern: Sendable, Equatable {
    package enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case wildcard
    }

    package let text: String
    package let scheme: String
    package let segments: [Segment]

    package init(_ text: String) throws(RouterAddressError) {
        self.text = text
        let address = try RouterAddress(text, splitting: .split)
        scheme = String(address.scheme)
        var out: [Segment] = []
        for (i, s) in address.segments.enumerated() {
            if s == "*" {
                guard i == address.segments.count - 1 else { throw RouterAddressError(address: text, "'*' must be the last segment") }
                out.append(.wildcard)
            } else if s.hasPrefix(":") {
                guard s.count > 1 else { throw RouterAddressError(address: text, "':' without a parameter name") }
                out.append(.parameter(String(s.dropFirst())))
            } else {
                out.append(.literal(String(s)))
            }
        }
        segments = out
    }

    /// Static 0, parameter 1, wildcard 2 per segment: matchers prefer the smallest sequence.
    var ranks: [Int] {
        segments.map {
            switch $0 {
            case .literal: return 0
            case .parameter: return 1
            case .wildcard: return 2
            }
        }
    }

    /// The anchored regular expression the linear matcher uses.
    var regex: String {
        var out = "^" + NSRegularExpression.escapedPattern(for: scheme) + "://"
        for (i, s) in segments.enumerated() {
            if i > 0 { out += "/" }
            switch s {
            case .literal(let l): out += NSRegularExpression.escapedPattern(for: l)
            case .parameter: out += "([^/]+)"
            case .wildcard: out += "(.+)"
            }
        }
        return out + "$"
    }

    var parameterNames: [String] {
        segments.compactMap {
            switch $0 {
            case .literal: return nil
            case .parameter(let n): return n
            case .wildcard: return "*"
            }
        }
    }
}

/// The route an address matched and the values of its parameters (slices of the address).
package struct RouteMatch: Sendable, Equatable {
    package var route: Int
    package var parameters: [(name: String, value: Substring)]

    package static func == (a: RouteMatch, b: RouteMatch) -> Bool {
        a.route == b.route && a.parameters.count == b.parameters.count
            && zip(a.parameters, b.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
