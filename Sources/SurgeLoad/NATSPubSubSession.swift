import Foundation
import Histogram
import NATSWire
import NIOCore

/// The connected form of `NATSPubSubWorkload`. A phase: reset subscribers → publishers send → PING/PONG
/// barrier on every publisher → wait until every subscriber has every message (or a timeout, which
/// then reports the loss) → gather counts and latency.
final class NATSPubSubSession: WorkloadSession, @unchecked Sendable {
    private let workload: NATSPubSubWorkload
    private let publishers: [NATSPublisherDriver]
    private let subscribers: [NATSSubscriberDriver]
    private var phaseNumber: UInt16 = 0

    private init(_ workload: NATSPubSubWorkload, publishers: [NATSPublisherDriver], subscribers: [NATSSubscriberDriver]) {
        self.workload = workload
        self.publishers = publishers
        self.subscribers = subscribers
    }

    static func connect(_ w: NATSPubSubWorkload, endpoints: [Endpoint], group: any EventLoopGroup) async throws -> NATSPubSubSession {
        var opened: [NATSLoadConnection] = []
        do {
            var subs: [NATSSubscriberDriver] = []
            for i in 0..<w.subscribers {
                let endpoint = try w.subscribeOn.endpoint(for: i, in: endpoints, key: "subscribe-on")
                let c = try await NATSLoadConnection.connect(to: endpoint, group: group, name: "subscriber \(i + 1)")
                opened.append(c)
                let driver = NATSSubscriberDriver(connection: c, index: i + 1, publishers: w.publishers)
                try await c.onLoop { _ in driver.attach() }
                var b = ByteBuffer()
                for (k, subject) in w.subjects.enumerated() { b.writeNATSSub(subject: subject, sid: UInt64(k + 1)) }
                try await c.send(b)
                try await c.flushBarrier() // subscriptions are in place before anyone publishes
                subs.append(driver)
            }
            var pubs: [NATSPublisherDriver] = []
            for i in 0..<w.publishers {
                let endpoint = try w.publishOn.endpoint(for: i, in: endpoints, key: "publish-on")
                let c = try await NATSLoadConnection.connect(to: endpoint, group: group, name: "publisher \(i + 1)")
                opened.append(c)
                pubs.append(NATSPublisherDriver(connection: c, index: i, subjects: w.subjects, payloadSize: w.payload,
                                                stampEveryMessage: w.subscribers > 0))
            }
            return NATSPubSubSession(w, publishers: pubs, subscribers: subs)
        } catch {
            for c in opened { await c.close() }
            throw error
        }
    }

    func run(_ phase: WorkloadPhase, progress: @escaping ProgressHandler) async throws -> WorkloadOutcome {
        phaseNumber &+= 1
        let number = phaseNumber
        let w = workload
        var seconds: Double?
        switch phase {
        case .warmup(let s): seconds = s
        case .measure: seconds = w.duration
        }
        let messages = seconds == nil ? w.messages : Int(UInt32.max)
        for s in subscribers {
            try await s.connection.onLoop { _ in s.reset(phase: number) }
        }

        let start = NATSClock.now()
        let deadline = seconds.map { start &+ UInt64($0 * 1e9) }
        let reporter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 250_000_000)
                if let seconds {
                    progress(min(1, Double(NATSClock.now() &- start) / 1e9 / seconds))
                } else {
                    let sent = publishers.reduce(0) { $0 + $1.sentSoFar.load(ordering: .relaxed) }
                    progress(min(1, Double(sent) / Double(messages * publishers.count)))
                }
            }
        }
        defer { reporter.cancel() }
        var sentFutures: [EventLoopFuture<Int>] = []
        for p in publishers {
            let phaseSpec = NATSPublisherDriver.Phase(number: number, messages: messages, deadline: deadline, rate: w.rate)
            sentFutures.append(try await p.connection.eventLoop.submit { p.begin(phaseSpec) }.get())
        }
        var sent: [Int] = []
        for f in sentFutures { sent.append(try await f.get()) }
        let publishEnd = NATSClock.now()
        for p in publishers { try await p.connection.flushBarrier() }
        let barrierEnd = NATSClock.now()
        let totalSent = sent.reduce(0, +)

        let waitSeconds = min(120, max(5, 2 * Double(publishEnd &- start) / 1e9))
        var reports: [NATSSubscriberDriver.Report] = []
        for s in subscribers {
            try await s.connection.eventLoop.flatSubmit { s.waitFor(total: totalSent, timeout: .milliseconds(Int64(waitSeconds * 1000))) }.get()
        }
        for s in subscribers {
            reports.append(try await s.connection.onLoop { _ in s.report() })
        }
        progress(1)

        var failures: [String] = []
        var delivered = 0
        var latency = WorkloadOutcome.makeLatencyHistogram()
        var lastReceive = barrierEnd
        for (i, r) in reports.enumerated() {
            let got = r.distinct.reduce(0, +)
            delivered += got
            latency.add(r.latency)
            if r.lastReceive > 0 { lastReceive = max(lastReceive, r.lastReceive) }
            if got < totalSent {
                let perPublisher = zip(sent, r.distinct).enumerated().filter { $0.element.0 > $0.element.1 }
                    .map { "publisher \($0.offset + 1): \($0.element.0 - $0.element.1)" }.joined(separator: ", ")
                failures.append("subscriber \(i + 1): \(totalSent - got) of \(totalSent) messages lost (\(perPublisher))")
            }
            if let failure = r.failure { failures.append(failure) }
            if r.duplicates > 0 { failures.append("subscriber \(i + 1): \(r.duplicates) duplicate messages") }
            if r.malformed > 0 { failures.append("subscriber \(i + 1): \(r.malformed) messages with a malformed payload") }
        }
        let end = subscribers.isEmpty ? barrierEnd : lastReceive
        let elapsed = max(1e-9, Double(end &- start) / 1e9)
        let operations = subscribers.isEmpty ? totalSent : delivered
        var outcome = WorkloadOutcome(operations: operations, elapsedSeconds: elapsed, failures: failures)
        outcome.metrics["msgs/s"] = Double(operations) / elapsed
        outcome.metrics["pub-msgs/s"] = Double(totalSent) / max(1e-9, Double(publishEnd &- start) / 1e9)
        if !subscribers.isEmpty {
            outcome.metrics["sub-msgs/s"] = Double(delivered) / Double(subscribers.count) / elapsed
            outcome.latency = latency
            outcome.addLatencyPercentiles()
        }
        outcome.metrics["ns/op"] = operations > 0 ? elapsed * 1e9 / Double(operations) : 0
        outcome.metrics["B/s"] = Double(operations) * Double(w.payload) / elapsed
        return outcome
    }

    func close() async {
        for p in publishers { await p.connection.close() }
        for s in subscribers { await s.connection.close() }
    }
}
