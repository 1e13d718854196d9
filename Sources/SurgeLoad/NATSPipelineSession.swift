import Foundation
import NATSWire
import NIOCore
import Synchronization

/// A connected `nats.pipeline`: one publisher connection for the orders, one subscriber for the outputs.
final class NATSPipelineSession: WorkloadSession {
    let workload: NATSPipelineWorkload
    let publisher: NATSLoadConnection
    let subscriber: NATSLoadConnection
    let tally = Mutex(NATSPipelineTally())
    private let runs = Atomic<Int>(0)

    private init(_ w: NATSPipelineWorkload, publisher: NATSLoadConnection, subscriber: NATSLoadConnection) {
        workload = w
        self.publisher = publisher
        self.subscriber = subscriber
    }

    static func connect(_ w: NATSPipelineWorkload, broker: Endpoint, group: any EventLoopGroup) async throws -> NATSPipelineSession {
        let sub = try await NATSLoadConnection.connect(to: broker, group: group, name: "pipeline-out")
        let pub: NATSLoadConnection
        do {
            pub = try await NATSLoadConnection.connect(to: broker, group: group, name: "pipeline-in")
        } catch {
            await sub.close()
            throw error
        }
        let session = NATSPipelineSession(w, publisher: pub, subscriber: sub)
        try await sub.onLoop { [session] handler in
            handler.onMessage = { subject, _, _, payload in
                let now = NATSClock.now()
                session.tally.withLock { $0.record(subject: subject, payload: payload, now: now) }
            }
        }
        var b = ByteBuffer()
        b.writeNATSSub(subject: w.subscribeSubject, sid: 1)
        try await sub.send(b)
        try await sub.flushBarrier()
        return session
    }

    func run(_ phase: WorkloadPhase, progress: @escaping ProgressHandler) async throws -> WorkloadOutcome {
        let w = workload
        let run = runs.add(1, ordering: .relaxed).newValue
        tally.withLock { $0.reset(run: run) }
        let start = NATSClock.now()
        var until: UInt64?
        if case .warmup(let s) = phase { until = start + UInt64(s * 1e9) }
        let limit = until == nil ? w.messages : Int.max
        let batchSize = w.rate.map { max(1, min(128, Int($0 / 1000))) } ?? 128
        var seq = 0
        var buffer = ByteBuffer()
        while seq < limit {
            if let until, NATSClock.now() >= until { break }
            if let rate = w.rate {
                let due = start + UInt64(Double(seq) / rate * 1e9)
                let now = NATSClock.now()
                if due > now { try await Task.sleep(nanoseconds: due - now) }
            }
            buffer.clear()
            let n = min(batchSize, limit - seq)
            var subjects: [String?] = []
            for k in 0..<n {
                let order = w.order(seq + k)
                subjects.append(order.expected)
                let body = Self.orderJSON(w, seq: seq + k, run: run, order: order, ts: NATSClock.now())
                buffer.writeNATSPub(subject: "\(w.input).\(order.region)".utf8, payload: ByteBuffer(string: body))
            }
            tally.withLock { t in for s in subjects { t.add(s) } }
            try await publisher.send(buffer)
            seq += n
            if until == nil, seq % 4096 < n { progress(Double(seq) / Double(limit) * 0.9) }
        }
        let published = seq
        let publishEnd = NATSClock.now()
        try await publisher.flushBarrier()
        // Wait while outputs keep coming; give up after drain-timeout without a new one.
        let quiet = UInt64(w.drainTimeout * 1e9)
        var lastCount = -1
        var lastProgress = NATSClock.now()
        while true {
            let (count, done) = tally.withLock { ($0.received + $0.wrong + $0.unexpected, $0.received >= $0.expectedCount) }
            if done { break }
            let now = NATSClock.now()
            if count != lastCount {
                lastCount = count
                lastProgress = now
            } else if now - lastProgress > quiet {
                break
            }
            try await Task.sleep(nanoseconds: 1_000_000)
        }
        // Whatever the broker already queued for the subscriber is read before the tally is taken.
        try await subscriber.flushBarrier()
        progress(1)
        let t = tally.withLock { $0 }
        let end = max(t.lastArrival, publishEnd)
        let elapsed = Double(end - start) / 1e9
        var outcome = WorkloadOutcome(
            operations: published, elapsedSeconds: elapsed,
            metrics: [
                "msgs/s": Double(published) / elapsed,
                "in-msgs/s": Double(published) / (Double(publishEnd - start) / 1e9),
                "out-msgs/s": Double(t.received) / elapsed,
            ],
            latency: t.latency, failures: t.failures)
        if t.latency.totalCount > 0 { outcome.metrics["p95-ns"] = Double(t.latency.valueAtPercentile(95)) }
        return outcome
    }

    static func orderJSON(
        _ w: NATSPipelineWorkload, seq: Int, run: Int, order: (region: String, tier: String, qty: Int, expected: String?),
        ts: UInt64
    ) -> String {
        var s = #"{"id":"m\#(seq)","seq":\#(seq),"run":\#(run),"ts":\#(ts),"region":"\#(order.region)","#
        s += #""qty":\#(order.qty),"price":2.5,"customer":{"tier":"\#(order.tier)"}"#
        let pad = w.payload - s.utf8.count - 10
        if pad > 0 { s += #","pad":""# + String(repeating: "x", count: pad) + "\"" }
        return s + "}"
    }

    func close() async {
        await publisher.close()
        await subscriber.close()
    }
}
