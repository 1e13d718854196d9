import Foundation
import Histogram
import SurgeResults
import SurgeStats

/// Result files made in the test, with known figures: a two-parameter matrix, six repetitions,
/// latency histograms, optionally per-syscall and allocation metrics.
enum SyntheticRuns {
    static let host = HostInfo(hostname: "ci-1", cpuModel: "Test CPU", cores: 2, kernel: "6.1.0", loadAverage: [0.5, 0.4, 0.3], surgeVersion: "0.1.0", buildConfig: "release")

    /// `msgs(publishers, flush)` is the median msgs/s of a cell; repetitions spread ±`spread` around it.
    static func run(id: String, at time: TimeInterval, commit: String, flushValues: [String] = ["immediate", "batched"],
                    spread: Double = 0.01, seed: UInt64 = 1, probes: Bool = false, histograms: Bool = true,
                    msgs: (Int, String) -> Double = { p, f in Double(p) * (f == "batched" ? 2_000_000 : 1_000_000) }) -> RunResult {
        var rng = SplitMix64(seed: seed)
        var run = RunResult(
            runID: id, startedAt: Date(timeIntervalSince1970: time),
            scenario: ScenarioInfo(name: "fanout", file: "Scenarios/fanout.yaml", sha256: "0123456789abcdef", description: "synthetic fan-out",
                                   thresholds: ["msgs/s": "3%", "p99-ns": "10%"]),
            source: SourceInfo(commit: commit, dirty: false), host: host, target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        run.finishedAt = Date(timeIntervalSince1970: time + 60)
        run.probeMethods = ["msgs/s": "driver", "p99-ns": "driver"]
        for p in [1, 4] {
            for f in flushValues {
                let params = [CellParameter(name: "publishers", value: "\(p)"), CellParameter(name: "flush", value: f)]
                var samples: [Sample] = []
                for rep in 1...6 {
                    let offsets = [-1.0, -0.6, -0.2, 0.2, 0.6, 1.0]
                    let noise = offsets[rep - 1] * spread + (Double(rng.next() % 1000) / 1000 - 0.5) * spread * 0.2
                    let m = msgs(p, f) * (1 + noise)
                    var metrics: [String: Double] = ["msgs/s": m, "ns/op": 1e9 / m, "p50-ns": 20_000 * (1 + noise), "p99-ns": 90_000 * (1 + noise)]
                    if probes {
                        metrics["syscalls.write/op"] = f == "batched" ? 0.1 : 1
                        metrics["syscalls.read/op"] = 0.2
                        metrics["syscalls.epoll_wait/op"] = 0.05
                        metrics["allocs/op"] = f == "batched" ? 2 : 3
                    }
                    samples.append(Sample(repetition: rep, operations: 10_000, elapsedSeconds: 10_000 / m, metrics: metrics,
                                          latencyHistogram: histograms ? histogram(median: 20_000, p99: 90_000, rng: &rng) : nil))
                }
                run.cells.append(CellResult(name: "BenchmarkFanout/publishers=\(p)/flush=\(f)", parameters: params, samples: samples))
            }
        }
        return run
    }

    static func histogram(median: Double, p99: Double, rng: inout SplitMix64) -> String {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        for i in 0..<2000 {
            let u = Double(i) / 2000
            let v = u < 0.5 ? median * (0.5 + u) : (u < 0.99 ? median + (p99 - median) * (u - 0.5) / 0.49 : p99 * (1 + (u - 0.99) * 50))
            _ = h.record(UInt64(v * (1 + Double(rng.next() % 100) / 10_000)))
        }
        return HistogramCodec.encode(h)
    }
}
