import NIOCore

/// `http.closed`: C connections, each keeping `pipeline` requests in flight, for a request count or
/// a duration; every response's status (and, if given, body length) is checked.
public struct HTTPClosedLoopWorkload: Workload {
    public static let kind = "http.closed"
    /// Throughput, tail latency and the per-op costs, at thresholds that suit a quiet machine.
    public static let keyMetrics: [KeyMetric] = [KeyMetric("req/s", threshold: 0.05), KeyMetric("p99-ns", threshold: 0.20), KeyMetric("syscalls/op", threshold: 0.10), KeyMetric("allocs/op", threshold: 0.10)]
    public static let summary = "HTTP/1.1 closed loop: C connections × pipeline depth, latency from actual send"
    public static let parameters = HTTPLoadSettings.commonParameters

    let settings: HTTPLoadSettings

    public init(parameters: WorkloadParameters) throws {
        settings = try HTTPLoadSettings(parameters, openLoop: false)
    }

    public func makeSession(endpoints: [Endpoint], group: any EventLoopGroup) async throws -> any WorkloadSession {
        guard let endpoint = endpoints.first else { throw HTTPLoadError.noEndpoint }
        return try await HTTPLoadSession.connect(settings: settings, endpoint: endpoint, group: group)
    }
}
