import NIOCore

/// `http.open`: a fixed total request rate (wrk2's `-R`) spread over C connections; latency is
/// measured from each request's intended send time, so a stalled server is charged for every
/// request it delayed (coordinated omission corrected).
public struct HTTPOpenLoopWorkload: Workload {
    public static let kind = "http.open"
    /// Throughput, tail latency and the per-op costs, at thresholds that suit a quiet machine.
    public static let keyMetrics: [KeyMetric] = [KeyMetric("p99-ns", threshold: 0.20), KeyMetric("req/s", threshold: 0.05), KeyMetric("syscalls/op", threshold: 0.10), KeyMetric("allocs/op", threshold: 0.10)]
    public static let summary = "HTTP/1.1 open loop at a fixed rate, latency from intended send time (CO corrected)"
    public static let parameters = HTTPLoadSettings.commonParameters + [
        ParameterSpec("rate", .number, "total requests per second over all connections"),
    ]

    let settings: HTTPLoadSettings

    public init(parameters: WorkloadParameters) throws {
        settings = try HTTPLoadSettings(parameters, openLoop: true)
    }

    public func makeSession(endpoints: [Endpoint], group: any EventLoopGroup) async throws -> any WorkloadSession {
        guard let endpoint = endpoints.first else { throw HTTPLoadError.noEndpoint }
        return try await HTTPLoadSession.connect(settings: settings, endpoint: endpoint, group: group)
    }
}
