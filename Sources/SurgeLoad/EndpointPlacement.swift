/// Which endpoint (target process, e.g. mesh node) each connection of a workload uses:
/// `publish-on: [0]`, `subscribe-on: [1, 2, 3, 4]` or `spread`. Connection i of a list placement
/// goes to `nodes[i % nodes.count]`; with `spread` connection i goes to endpoint i mod the number of
/// endpoints. The default is endpoint 0 for everything, so single-target scenarios are unchanged.
public enum EndpointPlacement: Sendable, Equatable {
    case nodes([Int])
    case spread

    public static let parameterHelp = "endpoint indices (endpoints[i] is mesh node i) as a list like [1, 2], or `spread` to round-robin over all"

    /// Reads `key` from the parameters: a list of non-negative integers, a single integer or `spread`.
    public static func parse(_ p: WorkloadParameters, _ key: String) throws -> EndpointPlacement {
        if case .scalar(let s)? = p.values[key], s.trimmingCharacters(in: .whitespaces) == "spread" { return .spread }
        guard let list = try p.intList(key) else { return .nodes([0]) }
        guard !list.isEmpty else { throw WorkloadParameterError(key: key, "expected at least one endpoint index, or spread") }
        if let bad = list.first(where: { $0 < 0 || $0 > 1023 }) {
            throw WorkloadParameterError(key: key, "endpoint index \(bad) is out of range 0...1023")
        }
        return .nodes(list)
    }

    /// The endpoint of connection `i`; throws naming `key` when the index names no endpoint.
    public func endpoint(for i: Int, in endpoints: [Endpoint], key: String) throws -> Endpoint {
        guard !endpoints.isEmpty else { throw WorkloadParameterError(key: key, "the target has no endpoint") }
        switch self {
        case .spread:
            return endpoints[i % endpoints.count]
        case .nodes(let list):
            let n = list[i % list.count]
            guard n < endpoints.count else {
                throw WorkloadParameterError(key: key, "endpoint \(n) does not exist: the target has \(endpoints.count) (indices 0...\(endpoints.count - 1))")
            }
            return endpoints[n]
        }
    }
}
