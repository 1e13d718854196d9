import Foundation
import SurgeHistory
import SurgeResults
import SurgeStats

/// A long history of a 50-cell scenario (10 publisher counts × 5 payload sizes, six repetitions,
/// msgs/s and p99-ns), daily runs ending now, 3% lognormal run-to-run noise and 1% within a run;
/// one cell (publishers=4/payload=256) loses 7% from run `count − 20` on. Used by
/// `WeeklyHistoryTimingTests` and, through SURGE_WEEKLY_FIXTURE_DIR, by Scripts/time-weekly-report.
enum WeeklyHistoryFixture {
    static let publishers = Array(1...10)
    static let payloads = [16, 64, 256, 1024, 4096]

    static func runs(count: Int, end: Date, seed: UInt64 = 21) -> [RunResult] {
        var rng = SplitMix64(seed: seed)
        func normal() -> Double {
            let u = (Double(rng.next() >> 11) + 1) / 9_007_199_254_740_993.0, v = Double(rng.next() >> 11) / 9_007_199_254_740_992.0
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let scenario = ScenarioInfo(name: "year", file: "Scenarios/year.yaml", sha256: "0123456789abcdef",
                                    description: "50-cell synthetic history", thresholds: ["msgs/s": "5%", "p99-ns": "20%"])
        return (0..<count).map { i in
            let time = end.timeIntervalSince1970 - Double(count - i) * 86400 + 3600
            var run = RunResult(runID: "run-\(i)", startedAt: Date(timeIntervalSince1970: time), scenario: scenario,
                                source: SourceInfo(commit: String(format: "c%05d", i), dirty: false), host: SyntheticRuns.host,
                                target: TargetInfo(kind: "component", component: "broker"))
            run.status = .complete
            run.finishedAt = Date(timeIntervalSince1970: time + 600)
            for p in publishers {
                for size in payloads {
                    let step = p == 4 && size == 256 && i >= count - 20 ? 0.93 : 1
                    let level = Double(p) * 1_000_000 / (1 + Double(size) / 1024) * step * exp(0.03 * normal())
                    let latency = 50_000 * (1 + Double(size) / 1024) * exp(0.03 * normal())
                    let samples = (1...6).map { rep in
                        let m = level * exp(0.01 * normal())
                        return Sample(repetition: rep, operations: 10_000, elapsedSeconds: 10_000 / m,
                                      metrics: ["msgs/s": m, "p99-ns": latency * exp(0.01 * normal())])
                    }
                    let params = [CellParameter(name: "publishers", value: "\(p)"), CellParameter(name: "payload", value: "\(size)")]
                    run.cells.append(CellResult(name: "BenchmarkYear/publishers=\(p)/payload=\(size)", parameters: params, samples: samples))
                }
            }
            return run
        }
    }

    /// Writes the history into a new database at `path`.
    static func store(_ runs: [RunResult], at path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        let store = try SQLiteHistory(path: path)
        for r in runs { _ = try store.add(r) }
    }
}
