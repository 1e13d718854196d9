import Foundation
import Histogram
import NATSWire
import NIOCore

/// `nats.request`: closed-loop request/reply. Each client sends a request to `subject` with its own
/// inbox as reply subject and waits for the answer before the next; responders share the queue group
/// `surge.responders`, so each request is answered once.
public struct NATSRequestWorkload: Workload {
    public static let kind = "nats.request"
    /// Throughput, tail latency and the per-op costs, at thresholds that suit a quiet machine.
    public static let keyMetrics: [KeyMetric] = [KeyMetric("req/s", threshold: 0.05), KeyMetric("p99-ns", threshold: 0.20), KeyMetric("syscalls/op", threshold: 0.10), KeyMetric("allocs/op", threshold: 0.10)]
    public static let summary = "NATS request/reply round trips through a queue group of responders: req/s and latency"
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("clients", .integer, "requesting connections, one request outstanding each", default: "1"),
        ParameterSpec("responders", .integer, "responding connections in one queue group", default: "1"),
        ParameterSpec("payload", .size, "request and reply payload bytes, at least 16", default: "16"),
        ParameterSpec("requests", .integer, "requests EACH client sends per repetition; exclusive with duration", default: "10000"),
        ParameterSpec("duration", .duration, "send requests for this long per repetition instead of a count"),
        ParameterSpec("subject", .string, "request subject", default: "surge.request"),
    ]

    public let clients: Int
    public let responders: Int
    public let payload: Int
    public let requests: Int
    public let duration: Double?
    public let subject: String

    public init(parameters p: WorkloadParameters) throws {
        clients = try p.int("clients", default: 1, range: 1...4096)
        responders = try p.int("responders", default: 1, range: 1...1024)
        payload = try p.size("payload") ?? 16
        guard payload >= NATSPayloadHeader.size && payload <= 64 << 20 else {
            throw WorkloadParameterError(key: "payload", "\(payload) bytes is out of range 16...64MiB (the header takes 16)")
        }
        if p.has("requests") && p.has("duration") {
            throw WorkloadParameterError(key: "duration", "give either requests or duration, not both")
        }
        requests = try p.int("requests", default: 10_000, range: 1...Int(UInt32.max))
        duration = try p.duration("duration")
        if let d = duration, d <= 0 { throw WorkloadParameterError(key: "duration", "must be positive") }
        subject = try p.string("subject", default: "surge.request")
        guard NATSSubjectCheck.isLiteral(subject) else {
            throw WorkloadParameterError(key: "subject", "'\(subject)' is not a valid literal NATS subject")
        }
    }

    public func makeSession(endpoints: [Endpoint], group: any EventLoopGroup) async throws -> any WorkloadSession {
        guard let endpoint = endpoints.first else { throw NATSLoadError(description: "nats.request needs one endpoint") }
        return try await NATSRequestSession.connect(self, endpoint: endpoint, group: group)
    }
}

final class NATSRequestSession: WorkloadSession, @unchecked Sendable {
    private let workload: NATSRequestWorkload
    private let clients: [NATSRequesterDriver]
    private let responders: [NATSResponderDriver]
    private var phaseNumber: UInt16 = 0

    private init(_ w: NATSRequestWorkload, clients: [NATSRequesterDriver], responders: [NATSResponderDriver]) {
        workload = w
        self.clients = clients
        self.responders = responders
    }

    static func connect(_ w: NATSRequestWorkload, endpoint: Endpoint, group: any EventLoopGroup) async throws -> NATSRequestSession {
        var opened: [NATSLoadConnection] = []
        do {
            var responders: [NATSResponderDriver] = []
            for i in 0..<w.responders {
                let c = try await NATSLoadConnection.connect(to: endpoint, group: group, name: "responder \(i + 1)")
                opened.append(c)
                let r = NATSResponderDriver(connection: c)
                try await c.onLoop { _ in r.attach() }
                var b = ByteBuffer()
                b.writeNATSSub(subject: w.subject, queue: "surge.responders", sid: 1)
                try await c.send(b)
                try await c.flushBarrier()
                responders.append(r)
            }
            let run = UInt32.random(in: 0...UInt32.max)
            var clients: [NATSRequesterDriver] = []
            for i in 0..<w.clients {
                let c = try await NATSLoadConnection.connect(to: endpoint, group: group, name: "client \(i + 1)")
                opened.append(c)
                let inbox = "_INBOX.surge.\(run).\(i)"
                let r = NATSRequesterDriver(connection: c, index: i, subject: w.subject, inbox: inbox, payloadSize: w.payload)
                try await c.onLoop { _ in r.attach() }
                var b = ByteBuffer()
                b.writeNATSSub(subject: inbox, sid: 1)
                try await c.send(b)
                try await c.flushBarrier()
                clients.append(r)
            }
            return NATSRequestSession(w, clients: clients, responders: responders)
        } catch {
            for c in opened { await c.close() }
            throw error
        }
    }

    func run(_ phase: WorkloadPhase, progress: @escaping ProgressHandler) async throws -> WorkloadOutcome {
        phaseNumber &+= 1
        let w = workload
        var seconds: Double?
        switch phase {
        case .warmup(let s): seconds = s
        case .measure: seconds = w.duration
        }
        let requests = seconds == nil ? w.requests : Int(UInt32.max)
        let start = NATSClock.now()
        let spec = NATSRequesterDriver.Phase(number: phaseNumber, requests: requests, deadline: seconds.map { start &+ UInt64($0 * 1e9) },
                                             replyTimeout: 5_000_000_000)
        let clients = self.clients
        let reporter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 250_000_000)
                if let seconds {
                    progress(min(1, Double(NATSClock.now() &- start) / 1e9 / seconds))
                } else {
                    let done = clients.reduce(0) { $0 + $1.answeredSoFar.load(ordering: .relaxed) }
                    progress(min(1, Double(done) / Double(requests * clients.count)))
                }
            }
        }
        defer { reporter.cancel() }
        var futures: [EventLoopFuture<NATSRequesterDriver.Report>] = []
        for c in clients {
            futures.append(try await c.connection.eventLoop.submit { c.begin(spec) }.get())
        }
        var reports: [NATSRequesterDriver.Report] = []
        for f in futures { reports.append(try await f.get()) }
        progress(1)

        var latency = WorkloadOutcome.makeLatencyHistogram()
        var failures: [String] = []
        var answered = 0
        var end = start
        for (i, r) in reports.enumerated() {
            answered += r.answered
            latency.add(r.latency)
            end = max(end, r.end)
            failures += r.failures
            if seconds == nil && r.answered < w.requests && r.failures.isEmpty {
                failures.append("client \(i + 1): \(w.requests - r.answered) of \(w.requests) requests got no reply")
            }
        }
        let elapsed = max(1e-9, Double(end &- start) / 1e9)
        var outcome = WorkloadOutcome(operations: answered, elapsedSeconds: elapsed, latency: latency, failures: failures)
        outcome.metrics["req/s"] = Double(answered) / elapsed
        outcome.metrics["ns/op"] = answered > 0 ? elapsed * 1e9 / Double(answered) : 0
        outcome.metrics["B/s"] = Double(answered) * Double(w.payload) / elapsed
        outcome.addLatencyPercentiles()
        return outcome
    }

    func close() async {
        for c in clients { await c.connection.close() }
        for r in responders { await r.connection.close() }
    }
}
