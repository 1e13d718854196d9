import Foundation
import NIOCore

/// `nats.pubsub`: publishers × subscribers over the NATS protocol, measuring delivered throughput
/// and publisher→subscriber latency, and checking that every subscriber gets every message once.
///
/// Subjects are `<subject>.0` … `<subject>.<subjects-1>`; publisher p sends its k-th message to subject
/// (p + k) mod subjects, and every subscriber holds one literal (wildcard-free) subscription per subject.
public struct NATSPubSubWorkload: Workload {
    public static let kind = "nats.pubsub"
    /// Throughput, tail latency and the per-op costs, at thresholds that suit a quiet machine.
    public static let keyMetrics: [KeyMetric] = [KeyMetric("msgs/s", threshold: 0.05), KeyMetric("p99-ns", threshold: 0.20), KeyMetric("syscalls/op", threshold: 0.10), KeyMetric("allocs/op", threshold: 0.10)]
    public static let summary = "NATS publish/subscribe fan-out: msgs/s delivered, end-to-end latency, loss and duplicate check"
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("publishers", .integer, "publishing connections", default: "1"),
        ParameterSpec("subscribers", .integer, "subscribing connections, each subscribed to every subject (0 = publish only)", default: "1"),
        ParameterSpec("subjects", .integer, "number of subjects <subject>.0 ... <subject>.N-1; publishers rotate over them", default: "1"),
        ParameterSpec("subject", .string, "subject prefix", default: "surge.bench"),
        ParameterSpec("payload", .size, "payload bytes per message, at least 16 (send time, sequence, publisher, phase)", default: "16"),
        ParameterSpec("messages", .integer, "messages EACH publisher sends per repetition (so subscribers each receive publishers × messages); exclusive with duration", default: "100000"),
        ParameterSpec("duration", .duration, "publish for this long per repetition instead of a message count"),
        ParameterSpec("rate", .number, "fixed publish rate per publisher in msgs/s (latency then counts from the intended send time); unset = as fast as possible"),
        ParameterSpec("publish-on", .integerList, "where publishers connect: " + EndpointPlacement.parameterHelp, default: "[0]"),
        ParameterSpec("subscribe-on", .integerList, "where subscribers connect: " + EndpointPlacement.parameterHelp, default: "[0]"),
    ]

    public let publishers: Int
    public let subscribers: Int
    public let subjects: [String]
    public let payload: Int
    public let messages: Int
    public let duration: Double?
    public let rate: Double?
    public let publishOn: EndpointPlacement
    public let subscribeOn: EndpointPlacement

    public init(parameters p: WorkloadParameters) throws {
        publishers = try p.int("publishers", default: 1, range: 1...1024)
        subscribers = try p.int("subscribers", default: 1, range: 0...1024)
        let subjectCount = try p.int("subjects", default: 1, range: 1...100_000)
        let prefix = try p.string("subject", default: "surge.bench")
        guard NATSSubjectCheck.isLiteral(prefix) else {
            throw WorkloadParameterError(key: "subject", "'\(prefix)' is not a valid literal NATS subject")
        }
        subjects = (0..<subjectCount).map { "\(prefix).\($0)" }
        payload = try p.size("payload") ?? 16
        guard payload >= NATSPayloadHeader.size && payload <= 64 << 20 else {
            throw WorkloadParameterError(key: "payload", "\(payload) bytes is out of range 16...64MiB (the header takes 16)")
        }
        if p.has("messages") && p.has("duration") {
            throw WorkloadParameterError(key: "duration", "give either messages or duration, not both")
        }
        messages = try p.int("messages", default: 100_000, range: 1...Int(UInt32.max))
        duration = try p.duration("duration")
        if let d = duration, d <= 0 { throw WorkloadParameterError(key: "duration", "must be positive") }
        rate = try p.double("rate")
        if let r = rate, !(r > 0) { throw WorkloadParameterError(key: "rate", "must be a positive number of msgs/s") }
        publishOn = try EndpointPlacement.parse(p, "publish-on")
        subscribeOn = try EndpointPlacement.parse(p, "subscribe-on")
    }

    public func makeSession(endpoints: [Endpoint], group: any EventLoopGroup) async throws -> any WorkloadSession {
        guard !endpoints.isEmpty else { throw NATSLoadError(description: "nats.pubsub needs one endpoint") }
        return try await NATSPubSubSession.connect(self, endpoints: endpoints, group: group)
    }
}

/// Subject checks for parameters (the wire module has the full rules).
enum NATSSubjectCheck {
    static func isLiteral(_ s: String) -> Bool {
        !s.isEmpty && !s.split(separator: ".", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "*" || $0 == ">" }
            && !s.contains(where: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
    }
}
