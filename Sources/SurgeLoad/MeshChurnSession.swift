import Foundation
import NATSWire
import NIOCore

/// The connected form of `MeshChurnWorkload`: publishers at a fixed rate, and one task per
/// subscriber cycling SUB (all subjects) → hold → UNSUB → gap until publishing ends. With responders
/// among the subscribers every message is a request, and each publisher counts the replies.
final class MeshChurnSession: WorkloadSession, @unchecked Sendable {
    private let workload: MeshChurnWorkload
    private let publishers: [NATSPublisherDriver]
    private let subscribers: [MeshChurnSubscriber]
    private let requesters: [MeshChurnRequester]
    private var phaseNumber: UInt16 = 0
    /// How long the replies to the last requests may take to arrive once publishing has ended.
    private let replyAllowance: UInt64 = 5_000_000_000

    private init(_ w: MeshChurnWorkload, publishers: [NATSPublisherDriver], subscribers: [MeshChurnSubscriber],
                 requesters: [MeshChurnRequester]) {
        workload = w
        self.publishers = publishers
        self.subscribers = subscribers
        self.requesters = requesters
    }

    static func connect(_ w: MeshChurnWorkload, endpoints: [Endpoint], group: any EventLoopGroup) async throws -> MeshChurnSession {
        var opened: [NATSLoadConnection] = []
        do {
            var subs: [MeshChurnSubscriber] = []
            for i in 0..<w.subscribers {
                let endpoint = try w.subscribeOn.endpoint(for: i, in: endpoints, key: "subscribe-on")
                let c = try await NATSLoadConnection.connect(to: endpoint, group: group, name: "churn subscriber \(i + 1)")
                opened.append(c)
                let s = MeshChurnSubscriber(connection: c, index: i + 1, publishers: w.publishers,
                                            subjects: w.subjects.count, responder: w.kinds[i % w.kinds.count] == .reply)
                try await c.onLoop { _ in s.attach() }
                subs.append(s)
            }
            var pubs: [NATSPublisherDriver] = []
            var requesters: [MeshChurnRequester] = []
            let requests = w.kinds.contains(.reply)
            for i in 0..<w.publishers {
                let endpoint = try w.publishOn.endpoint(for: i, in: endpoints, key: "publish-on")
                let c = try await NATSLoadConnection.connect(to: endpoint, group: group, name: "publisher \(i + 1)")
                opened.append(c)
                var replies: [String]?
                if requests {
                    let r = MeshChurnRequester(connection: c, publisher: i)
                    try await c.onLoop { _ in r.attach() }
                    var sub = ByteBuffer()
                    sub.writeNATSSub(subject: MeshChurnRequester.inbox(publisher: i) + ".*", sid: 1)
                    try await c.send(sub)
                    try await c.flushBarrier() // the inbox is known mesh-wide before the first request
                    requesters.append(r)
                    replies = MeshChurnRequester.replySubjects(publisher: i, subjects: w.subjects.count)
                }
                pubs.append(NATSPublisherDriver(connection: c, index: i, subjects: w.subjects, payloadSize: w.payload,
                                                stampEveryMessage: true, replySubjects: replies))
            }
            return MeshChurnSession(w, publishers: pubs, subscribers: subs, requesters: requesters)
        } catch {
            for c in opened { await c.close() }
            throw error
        }
    }

    func run(_ phase: WorkloadPhase, progress: @escaping ProgressHandler) async throws -> WorkloadOutcome {
        phaseNumber &+= 1
        let number = phaseNumber
        let w = workload
        let seconds: Double
        switch phase {
        case .warmup(let s): seconds = s
        case .measure: seconds = w.duration
        }
        for s in subscribers { try await s.connection.onLoop { _ in s.reset(phase: number) } }
        for r in requesters { try await r.connection.onLoop { _ in r.reset(phase: number) } }
        let start = NATSClock.now()
        let deadline = start &+ UInt64(seconds * 1e9)
        // With `tenures`, publishing goes on until every subscriber has had that many (ended below),
        // within a hard limit of 4 × duration.
        let publishUntil = w.tenures > 0 ? start &+ UInt64(4 * seconds * 1e9) : deadline
        var sentFutures: [EventLoopFuture<Int>] = []
        for p in publishers {
            let spec = NATSPublisherDriver.Phase(number: number, messages: Int(UInt32.max), deadline: publishUntil,
                                                 rate: w.rate)
            sentFutures.append(try await p.connection.eventLoop.submit { p.begin(spec) }.get())
        }
        let subjects = w.subjects
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (i, s) in subscribers.enumerated() {
                tasks.addTask {
                    // Stagger the subscribers so joins and leaves spread over the run.
                    let offset = (w.hold + w.gap) * Double(i) / Double(max(1, self.subscribers.count))
                    try await Task.sleep(nanoseconds: UInt64(offset * 1e9))
                    var had = 0
                    func more() -> Bool {
                        let end = NATSClock.now() &+ UInt64(w.hold * 1e9)
                        return end < deadline || (had < w.tenures && end < publishUntil)
                    }
                    while more() {
                        had += 1
                        var sub = ByteBuffer()
                        let kind = w.kinds[i % w.kinds.count]
                        switch kind {
                        case .plain, .reply:
                            for (k, subject) in subjects.enumerated() { sub.writeNATSSub(subject: subject, sid: UInt64(k + 1)) }
                        case .wildcard:
                            sub.writeNATSSub(subject: w.subjectPrefix + ".*", sid: 1)
                        case .queue:
                            for (k, subject) in subjects.enumerated() {
                                sub.writeNATSSub(subject: subject, queue: "churn-q\(i + 1)", sid: UInt64(k + 1))
                            }
                        }
                        try await s.connection.onLoop { _ in s.began() }
                        try await s.connection.send(sub)
                        try await s.connection.flushBarrier()
                        let settle = UInt64(w.settle * 1e9)
                        try await s.connection.onLoop { _ in s.acknowledged(settle: settle) }
                        try await Task.sleep(nanoseconds: UInt64(w.hold * 1e9))
                        var unsub = ByteBuffer()
                        for k in (kind == .wildcard ? 0..<1 : subjects.indices) { unsub.writeNATSUnsub(sid: UInt64(k + 1)) }
                        try await s.connection.onLoop { _ in s.ended() }
                        try await s.connection.send(unsub)
                        try await s.connection.flushBarrier()
                        try await Task.sleep(nanoseconds: UInt64(w.gap * 1e9))
                    }
                }
            }
            tasks.addTask {
                while NATSClock.now() < deadline {
                    progress(min(1, Double(NATSClock.now() &- start) / 1e9 / seconds))
                    try await Task.sleep(nanoseconds: 250_000_000)
                }
            }
            try await tasks.waitForAll()
        }
        if w.tenures > 0 {
            // Every tenure ended while publishing went on; now publishing ends (it has run for `duration` at least).
            let left = deadline > NATSClock.now() ? deadline &- NATSClock.now() : 0
            try await Task.sleep(nanoseconds: left)
            for p in publishers { try await p.connection.eventLoop.submit { p.end() }.get() }
        }
        var sent = 0
        for f in sentFutures { sent += try await f.get() }
        for p in publishers { try await p.connection.flushBarrier() }
        let end = NATSClock.now()
        progress(1)

        var failures: [String] = []
        var replyMetrics: [String: Double] = [:]
        if !requesters.isEmpty {
            replyMetrics = try await checkReplies(&failures)
        }
        var delivered = 0, lost = 0, tenures = 0, undiscovered = 0
        var discoveries: [UInt64] = []
        var latency = WorkloadOutcome.makeLatencyHistogram()
        for s in subscribers {
            let r = try await s.connection.onLoop { _ in s.finalReport() }
            delivered += r.delivered
            lost += r.lost
            tenures += r.tenures
            undiscovered += r.undiscovered
            discoveries += r.discoveries
            latency.add(r.latency)
            if r.lost > 0 { failures.append("subscriber \(s.index): \(r.lost) messages lost while subscribed (\(r.lossDetail.joined(separator: "; ")))") }
            if r.duplicates > 0 { failures.append("subscriber \(s.index): \(r.duplicates) duplicate messages") }
        }
        let elapsed = max(1e-9, Double(end &- start) / 1e9)
        var outcome = WorkloadOutcome(operations: delivered, elapsedSeconds: elapsed, latency: latency, failures: failures)
        outcome.metrics["msgs/s"] = Double(delivered) / elapsed
        outcome.metrics["pub-msgs/s"] = Double(sent) / elapsed
        outcome.metrics["lost-msgs"] = Double(lost)
        outcome.metrics["tenures"] = Double(tenures)
        outcome.metrics["undiscovered-tenures"] = Double(undiscovered)
        outcome.metrics.merge(replyMetrics) { _, new in new }
        discoveries.sort()
        if !discoveries.isEmpty {
            func at(_ q: Double) -> Double { Double(discoveries[min(discoveries.count - 1, Int(q * Double(discoveries.count - 1) + 0.5))]) }
            outcome.metrics["discovery-p50-ns"] = at(0.5)
            outcome.metrics["discovery-p99-ns"] = at(0.99)
            outcome.metrics["discovery-max-ns"] = Double(discoveries.last ?? 0)
        }
        outcome.addLatencyPercentiles()
        return outcome
    }

    /// Waits (at most `replyAllowance`) until every reply the responders sent has reached its
    /// requester, then counts the replies lost and duplicated.
    private func checkReplies(_ failures: inout [String]) async throws -> [String: Double] {
        let deadline = NATSClock.now() &+ replyAllowance
        var answered: [[Int]] = [] // [responder][publisher]
        var received: [MeshChurnRequester.Report] = []
        var responders: [Int] = []
        while true {
            answered = []
            responders = []
            for s in subscribers where s.responder {
                answered.append(try await s.connection.onLoop { _ in s.finalReport().answered })
                responders.append(s.index)
            }
            received = []
            for r in requesters { received.append(try await r.connection.onLoop { _ in r.report() }) }
            let sent = answered.reduce(0) { $0 + $1.reduce(0, +) }
            let got = received.reduce(0) { $0 + $1.received.values.reduce(0, +) }
            if got >= sent || NATSClock.now() >= deadline { break }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        var lost = 0, duplicates = 0, answers = 0
        var roundTrip: [UInt64] = []
        for (p, report) in received.enumerated() {
            duplicates += report.duplicates
            roundTrip += report.roundTrip
            if report.duplicates > 0 { failures.append("publisher \(p + 1): \(report.duplicates) duplicate replies") }
            for (k, responder) in responders.enumerated() {
                let sentByResponder: Int = answered[k][p]
                let got: Int = report.received[responder] ?? 0
                answers += sentByResponder
                if got < sentByResponder {
                    let missing: Int = sentByResponder - got
                    lost += missing
                    failures.append(
                        "publisher \(p + 1): \(missing) of responder \(responder)'s \(sentByResponder) replies lost")
                } else if got > sentByResponder {
                    failures.append(
                        "publisher \(p + 1): \(got) replies from responder \(responder), which sent \(sentByResponder)")
                }
            }
        }
        var metrics: [String: Double] = ["replies": Double(answers), "lost-replies": Double(lost),
                                         "duplicate-replies": Double(duplicates)]
        roundTrip.sort()
        if !roundTrip.isEmpty {
            func at(_ q: Double) -> Double {
                Double(roundTrip[min(roundTrip.count - 1, Int(q * Double(roundTrip.count - 1) + 0.5))])
            }
            metrics["reply-p50-ns"] = at(0.5)
            metrics["reply-p99-ns"] = at(0.99)
        }
        return metrics
    }

    func close() async {
        for p in publishers { await p.connection.close() }
        for s in subscribers { await s.connection.close() }
    }
}
