import Foundation
import NIOCore

/// `mesh.churn`: publishers publish at a fixed rate while subscribers keep joining and leaving
/// (subscribe for `hold`, unsubscribe for `gap`, again). Reports discovery latency — from a
/// subscriber's SUB to its first delivery — and the messages lost to subscribers while they were
/// subscribed: per subscription period, publisher and subject, every message between the first and
/// the last one received must have arrived (messages published before a new subscriber was found,
/// or in flight when it left, are not losses). The check starts with messages sent `settle` after
/// the node acknowledged the SUBs (PONG): a mesh that only learns of new subscribers when a cache
/// entry is refreshed needs `settle` above the cache TTL plus a lookup; the built-in mesh pushes
/// subscription changes before the PONG, so `settle: 0s` holds. `subscriptions` cycles the
/// subscribers over literal, wildcard, queue-group and responder subscriptions. With responders every
/// message is a request (reply subject `_INBOX.churn.<publisher>.<subject index>`, the publisher
/// subscribed to `_INBOX.churn.<publisher>.*`); every reply a responder sent must reach its requester
/// exactly once (`lost-replies`, `duplicate-replies`). Any loss or duplicate fails the cell.
public struct MeshChurnWorkload: Workload {
    public static let kind = "mesh.churn"
    /// Throughput, tail latency and the per-op costs, at thresholds that suit a quiet machine.
    public static let keyMetrics: [KeyMetric] = [KeyMetric("msgs/s", threshold: 0.05), KeyMetric("discovery-p99-ns", threshold: 0.25)]
    public static let summary = "subscribers join and leave while publishers publish: discovery latency (SUB to first delivery) and loss while subscribed (must be 0)"
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("publishers", .integer, "publishing connections", default: "1"),
        ParameterSpec("subscribers", .integer, "churning subscriber connections, each subscribed to every subject while it is in", default: "4"),
        ParameterSpec("subjects", .integer, "number of subjects <subject>.0 ... <subject>.N-1", default: "1"),
        ParameterSpec("subject", .string, "subject prefix", default: "surge.churn"),
        ParameterSpec("payload", .size, "payload bytes per message, at least 16", default: "64"),
        ParameterSpec("rate", .number, "publish rate per publisher, msgs/s", default: "2000"),
        ParameterSpec("duration", .duration, "publishing time per repetition", default: "5s"),
        ParameterSpec("hold", .duration, "how long a subscriber stays subscribed each time", default: "500ms"),
        ParameterSpec("settle", .duration, "how long after the SUB is acknowledged messages start to count for loss; set it above the discovery cache TTL plus a lookup", default: "300ms"),
        ParameterSpec("tenures", .integer, "least tenures (SUB to UNSUB) per subscriber: publishing goes on past duration until every subscriber has had this many, at most 4 × duration (0 = publish for duration only)", default: "0"),
        ParameterSpec("gap", .duration, "how long a subscriber stays away between subscriptions", default: "200ms"),
        ParameterSpec("subscriptions", .string, "what each subscriber subscribes with, cycled over the subscribers: comma-separated plain (every subject), wildcard (<subject>.*), queue (every subject in a queue group of its own), reply (every subject, answering each message: publishers then send requests and count the replies)", default: "plain"),
        ParameterSpec("publish-on", .integerList, "where publishers connect: " + EndpointPlacement.parameterHelp, default: "[0]"),
        ParameterSpec("subscribe-on", .integerList, "where subscribers connect: " + EndpointPlacement.parameterHelp, default: "[0]"),
    ]

    public let publishers: Int
    public let subscribers: Int
    public let subjects: [String]
    public let subjectPrefix: String
    /// Subscriber i subscribes the way `kinds[i % kinds.count]` says.
    public let kinds: [SubscriptionKind]
    public let payload: Int
    public let rate: Double
    public let duration: Double
    public let hold: Double
    public let gap: Double
    public let settle: Double
    /// Least tenures per subscriber (0: none); publishing outlasts `duration` for them, up to 4 × duration.
    public let tenures: Int
    public let publishOn: EndpointPlacement
    public let subscribeOn: EndpointPlacement

    public init(parameters p: WorkloadParameters) throws {
        publishers = try p.int("publishers", default: 1, range: 1...256)
        subscribers = try p.int("subscribers", default: 4, range: 1...1024)
        let count = try p.int("subjects", default: 1, range: 1...10_000)
        let prefix = try p.string("subject", default: "surge.churn")
        guard NATSSubjectCheck.isLiteral(prefix) else {
            throw WorkloadParameterError(key: "subject", "'\(prefix)' is not a valid literal NATS subject")
        }
        subjects = (0..<count).map { "\(prefix).\($0)" }
        subjectPrefix = prefix
        let kindText = try p.string("subscriptions", default: "plain")
        kinds = try kindText.split(separator: ",").map { item in
            let name = item.trimmingCharacters(in: .whitespaces)
            guard let k = SubscriptionKind(rawValue: name) else {
                throw WorkloadParameterError(key: "subscriptions",
                                             "'\(name)' is not one of plain, wildcard, queue, reply")
            }
            return k
        }
        guard !kinds.isEmpty else {
            throw WorkloadParameterError(key: "subscriptions", "names no kind (plain, wildcard, queue, reply)")
        }
        payload = try p.size("payload") ?? 64
        guard payload >= NATSPayloadHeader.size && payload <= 1 << 20 else {
            throw WorkloadParameterError(key: "payload", "\(payload) bytes is out of range 16...1MiB (the header takes 16)")
        }
        rate = try p.double("rate") ?? 2000
        guard rate > 0 && rate <= 10_000_000 else { throw WorkloadParameterError(key: "rate", "must be in 0...10000000 msgs/s (exclusive of 0)") }
        duration = try p.duration("duration") ?? 5
        guard duration > 0 else { throw WorkloadParameterError(key: "duration", "must be positive") }
        hold = try p.duration("hold") ?? 0.5
        guard hold >= 0.01 else { throw WorkloadParameterError(key: "hold", "must be at least 10ms") }
        gap = try p.duration("gap") ?? 0.2
        settle = try p.duration("settle") ?? 0.3
        tenures = try p.int("tenures", default: 0, range: 0...1000)
        guard settle < hold else { throw WorkloadParameterError(key: "settle", "must be shorter than hold (\(hold) s), or nothing is checked") }
        publishOn = try EndpointPlacement.parse(p, "publish-on")
        subscribeOn = try EndpointPlacement.parse(p, "subscribe-on")
    }

    /// How a churning subscriber subscribes; each must still get every message of every subject.
    /// `reply` subscribes like `plain` and answers every message, as a NATS responder does.
    public enum SubscriptionKind: String, Sendable {
        case plain, wildcard, queue, reply
    }

    public func makeSession(endpoints: [Endpoint], group: any EventLoopGroup) async throws -> any WorkloadSession {
        try await MeshChurnSession.connect(self, endpoints: endpoints, group: group)
    }
}
