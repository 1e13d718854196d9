import Foundation
import NIOCore

/// `nats.pipeline`: measures a stream processor through its broker. Publishes JSON orders
/// `{"id","seq","run","ts","region","qty","price","customer":{"tier"},"pad"}` to `<input>.<region>`,
/// subscribes to the outputs, and accounts for every expected output exactly: its subject must be
/// `expect-subject` filled from the order (`{region}`, `{tier}`, `{id}`), it must arrive once, and an
/// order with `qty` 0 (every `drop-every`-th one) must not arrive at all (the processor's filter
/// drops it). A lost, duplicated, unexpected or wrongly mapped output fails the cell with the count
/// and an example. Latency is from the order's `ts` (publish time) to its output's arrival.
public struct NATSPipelineWorkload: Workload {
    public static let kind = "nats.pipeline"
    public static let summary =
        "JSON messages through a stream processor: msgs/s in and out, in->out latency, exact output accounting"
    public static let keyMetrics: [KeyMetric] = [
        KeyMetric("msgs/s", threshold: 0.05), KeyMetric("p99-ns", threshold: 0.20), KeyMetric("allocs/op", threshold: 0.10),
    ]
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("input", .string, "input subject prefix; orders go to <input>.<region>", default: "stream.in"),
        ParameterSpec(
            "expect-subject", .string, "the output subject each kept order must arrive on, with {region} {tier} {id}",
            default: "stream.out.{region}.{tier}"),
        ParameterSpec("subscribe", .string, "what to subscribe to for outputs (default: expect-subject with * for each {…})"),
        ParameterSpec("regions", .integer, "regions eu, us, ap, r3, ... the orders cycle through", default: "3"),
        ParameterSpec("tiers", .integer, "customer tiers gold, silver, bronze, t3, ...", default: "3"),
        ParameterSpec("drop-every", .integer, "every N-th order has qty 0 and must be filtered out (0 = none)", default: "0"),
        ParameterSpec("messages", .integer, "orders per repetition", default: "20000"),
        ParameterSpec("rate", .number, "orders per second (unset = as fast as the pipeline takes them)"),
        ParameterSpec("payload", .size, "pad each order to at least this many bytes", default: "0"),
        ParameterSpec(
            "drain-timeout", .duration, "after the last order, give up waiting once no output came for this long",
            default: "5s"),
    ]

    public let input: String
    public let expectSubject: String
    public let subscribeSubject: String
    public let regions: [String]
    public let tiers: [String]
    public let dropEvery: Int
    public let messages: Int
    public let rate: Double?
    public let payload: Int
    public let drainTimeout: Double

    public init(parameters p: WorkloadParameters) throws {
        input = try p.string("input", default: "stream.in")
        guard NATSSubjectCheck.isLiteral(input) else {
            throw WorkloadParameterError(key: "input", "'\(input)' is not a valid literal NATS subject")
        }
        expectSubject = try p.string("expect-subject", default: "stream.out.{region}.{tier}")
        let tokens = expectSubject.split(separator: ".", omittingEmptySubsequences: false)
        for t in tokens where t.contains("{") {
            guard ["{region}", "{tier}", "{id}"].contains(t) else {
                throw WorkloadParameterError(key: "expect-subject", "'\(t)': a token may only be {region}, {tier} or {id}")
            }
        }
        subscribeSubject = try p.string("subscribe")
            ?? tokens.map { $0.contains("{") ? "*" : String($0) }.joined(separator: ".")
        let baseRegions = ["eu", "us", "ap"]
        let baseTiers = ["gold", "silver", "bronze"]
        let r = try p.int("regions", default: 3, range: 1...1000)
        let t = try p.int("tiers", default: 3, range: 1...1000)
        regions = (0..<r).map { $0 < baseRegions.count ? baseRegions[$0] : "r\($0)" }
        tiers = (0..<t).map { $0 < baseTiers.count ? baseTiers[$0] : "t\($0)" }
        dropEvery = try p.int("drop-every", default: 0, range: 0...1_000_000)
        messages = try p.int("messages", default: 20_000, range: 1...100_000_000)
        rate = try p.double("rate")
        if let r = rate, !(r > 0) { throw WorkloadParameterError(key: "rate", "must be a positive number of msgs/s") }
        payload = try p.size("payload") ?? 0
        drainTimeout = try p.duration("drain-timeout") ?? 5
    }

    public func makeSession(endpoints: [Endpoint], group: any EventLoopGroup) async throws -> any WorkloadSession {
        guard let broker = endpoints.first else { throw NATSLoadError(description: "nats.pipeline needs the broker's endpoint") }
        return try await NATSPipelineSession.connect(self, broker: broker, group: group)
    }

    /// The order with sequence number `seq`: its subject, payload fields and expected output subject
    /// (nil when the filter must drop it).
    func order(_ seq: Int) -> (region: String, tier: String, qty: Int, expected: String?) {
        let region = regions[seq % regions.count]
        let tier = tiers[(seq / regions.count) % tiers.count]
        let qty = dropEvery > 0 && seq % dropEvery == dropEvery - 1 ? 0 : 1 + seq % 5
        let subject = expectSubject.replacingOccurrences(of: "{region}", with: region)
            .replacingOccurrences(of: "{tier}", with: tier).replacingOccurrences(of: "{id}", with: "m\(seq)")
        return (region, tier, qty, qty == 0 ? nil : subject)
    }
}
