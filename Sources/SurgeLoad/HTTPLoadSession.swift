import Histogram
import NIOCore

/// The connections of one `http.closed` or `http.open` cell, reused for warm-up and repetitions.
final class HTTPLoadSession: WorkloadSession {
    private let settings: HTTPLoadSettings
    private let connections: [HTTPLoadConnection]
    private let recorders: [HTTPLoadRecorder]

    private init(settings: HTTPLoadSettings, connections: [HTTPLoadConnection], recorders: [HTTPLoadRecorder]) {
        self.settings = settings
        self.connections = connections
        self.recorders = recorders
    }

    /// Opens `settings.connections` connections to `endpoint`, spread over the group's event loops.
    static func connect(settings: HTTPLoadSettings, endpoint: Endpoint, group: any EventLoopGroup) async throws -> HTTPLoadSession {
        var loops: [any EventLoop] = []
        var recorders: [HTTPLoadRecorder] = []
        for loop in group.makeIterator() {
            loops.append(loop)
            recorders.append(HTTPLoadRecorder())
        }
        if loops.isEmpty {
            loops = [group.next()]
            recorders = [HTTPLoadRecorder()]
        }
        var connections: [HTTPLoadConnection] = []
        for i in 0..<settings.connections {
            let index = i % loops.count
            connections.append(HTTPLoadConnection(loop: loops[index], endpoint: endpoint, settings: settings, recorder: recorders[index]))
        }
        let session = HTTPLoadSession(settings: settings, connections: connections, recorders: recorders)
        do {
            for chunk in stride(from: 0, to: connections.count, by: 64) {
                let futures = connections[chunk..<min(chunk + 64, connections.count)].map { c in c.loop.flatSubmit { c.connect() } }
                for future in futures { try await future.get() }
            }
        } catch {
            await session.close()
            throw HTTPLoadError.connectFailed(endpoint: endpoint, underlying: "\(error)")
        }
        return session
    }

    func run(_ phase: WorkloadPhase, progress: @escaping ProgressHandler) async throws -> WorkloadOutcome {
        let record: Bool
        let amount: HTTPLoadSettings.Amount
        switch phase {
        case .warmup(let seconds):
            record = false
            amount = .seconds(seconds)
        case .measure:
            record = true
            amount = settings.amount
        }
        for recorder in recorders { recorder.reset() }
        let count = connections.count
        let start = monotonicNanos() + 1_000_000
        var deadline: UInt64? = nil
        if case .seconds(let s) = amount { deadline = start + UInt64(s * 1e9) }
        let perConnectionInterval: UInt64? = settings.rate.map { UInt64((Double(count) / $0 * 1e9).rounded()) }
        var futures: [EventLoopFuture<Void>] = []
        for (i, connection) in connections.enumerated() {
            var quota: Int? = nil
            if case .requests(let n) = amount { quota = n / count + (i < n % count ? 1 : 0) }
            let offset = perConnectionInterval.map { $0 * UInt64(i) / UInt64(count) } ?? 0
            let plan = HTTPLoadPlan(quota: quota, deadlineNanos: deadline, intervalNanos: perConnectionInterval, startNanos: start + offset, record: record)
            futures.append(connection.loop.flatSubmit { connection.run(plan) })
        }
        let total: Double? = { if case .requests(let n) = amount { return Double(n) } else { return nil } }()
        let progressTask = Task {
            while !Task.isCancelled {
                try await Task.sleep(nanoseconds: 250_000_000)
                let elapsed = Double(monotonicNanos() - start) / 1e9
                if let deadline {
                    progress(min(1, elapsed / (Double(deadline - start) / 1e9)))
                } else if let total {
                    var answered = 0
                    for recorder in recorders {
                        answered += (try? await recorder.loopAnswered(connections)) ?? 0
                    }
                    progress(min(1, Double(answered) / total))
                }
            }
        }
        defer { progressTask.cancel() }
        for future in futures { try await future.get() }
        progress(1)
        return try await outcome()
    }

    private func outcome() async throws -> WorkloadOutcome {
        var histogram = WorkloadOutcome.makeLatencyHistogram()
        var answered = 0
        var errors: [String: Int] = [:]
        var first = UInt64.max
        var last: UInt64 = 0
        for (recorder, loop) in zip(recorders, recorderLoops()) {
            let s = try await loop.submit { recorder.snapshot() }.get()
            histogram.add(s.histogram)
            answered += s.answered
            for (k, v) in s.errors { errors[k, default: 0] += v }
            first = min(first, s.firstSendNanos)
            last = max(last, s.lastReceiveNanos)
        }
        let elapsed = last > first ? Double(last - first) / 1e9 : 0
        let errorCount = errors.values.reduce(0, +)
        var metrics: [String: Double] = ["errors": Double(errorCount)]
        if elapsed > 0, answered > 0 {
            metrics["req/s"] = Double(answered) / elapsed
            metrics["ns/op"] = elapsed * 1e9 / Double(answered)
        }
        if let rate = settings.rate { metrics["target-req/s"] = rate }
        var outcome = WorkloadOutcome(
            operations: answered, elapsedSeconds: elapsed, metrics: metrics, latency: histogram,
            failures: errors.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }
        )
        outcome.addLatencyPercentiles()
        return outcome
    }

    private func recorderLoops() -> [any EventLoop] {
        recorders.map { recorder in connections.first { $0.recorder === recorder }?.loop ?? connections[0].loop }
    }

    func close() async {
        for connection in connections {
            _ = try? await connection.loop.flatSubmit { connection.close() }.get()
        }
    }
}

extension HTTPLoadRecorder {
    func loopAnswered(_ connections: [HTTPLoadConnection]) async throws -> Int {
        guard let loop = connections.first(where: { $0.recorder === self })?.loop else { return 0 }
        return try await loop.submit { self.answered }.get()
    }
}

/// Why an HTTP workload could not run at all.
public enum HTTPLoadError: Error, CustomStringConvertible {
    case connectFailed(endpoint: Endpoint, underlying: String)
    case noEndpoint

    public var description: String {
        switch self {
        case .connectFailed(let endpoint, let underlying): "could not connect to \(endpoint): \(underlying)"
        case .noEndpoint: "the HTTP workload needs one endpoint, got none"
        }
    }
}
