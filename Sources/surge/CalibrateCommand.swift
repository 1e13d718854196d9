import ArgumentParser
import Foundation
import SurgeCompare
import SurgeResults
import SurgeRunner
import SurgeScenario
import SurgeStats

/// `surge calibrate SCENARIO --runs N`: measures the noise floor of a scenario on this machine (A/A runs
/// of one build) and writes the thresholds the gate then uses.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure a scenario's run-to-run noise and write calibrated gate thresholds.",
        usage: "surge calibrate <scenario> [--runs 5] [<options>]",
        discussion: """
            Runs the scenario N times with the same build: each run visits every cell with a freshly started \
            target, so rounds interleave over the cells. Per cell and metric it measures the noise floor (the \
            largest change between the medians of two identical runs) and the smallest change the U test can \
            detect at the scenario's repetitions and alpha, and writes BASELINES-DIR/NAME.thresholds.yaml. \
            `surge compare`, `surge report` and Scripts/ci-regression use that file when it is there.
            Every run's result file is kept under --out. \(SurgeExitCode.summary)
            """
    )

    @Argument(help: "The scenario file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var scenario: String

    @Option(
        parsing: .unconditional, help: "Identical runs to make (at least 2; 5 or more give a steadier noise floor).")
    var runs = 5

    @Option(name: .customLong("name"), help: "The thresholds file's name (default: the scenario file's name).")
    var name: String?

    @Option(name: .customLong("baselines-dir"), help: "Where the thresholds file goes.")
    var baselinesDirectory = "Reports/baselines"

    @Option(name: .customLong("out"), help: "Directory for the runs' result files.")
    var outputDirectory = "Reports/runs"

    @Option(parsing: .unconditional, help: "Repetitions per cell (overrides the scenario's `repetitions`).")
    var repetitions: Int?

    @Option(help: "Significance level of the U test whose detectable change is measured.")
    var alpha = 0.05

    @Flag(name: .shortAndLong, help: "No progress display.")
    var quiet = false

    func validate() throws {
        if runs < 2 {
            throw ValidationError("--runs must be at least 2, found \(runs) (noise is the change between runs)")
        }
        if let r = repetitions, r < 2 { throw ValidationError("--repetitions must be at least 2, found \(r)") }
        if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha must be between 0 and 1") }
    }

    func run() async throws {
        let scenario = try RunCommand.loadScenario(self.scenario)
        var options = RunOptions(surgeExecutable: SurgeExecutable.path, surgeVersion: SurgeVersion.string)
        options.outputDirectory = outputDirectory
        options.repetitions = repetitions
        var results: [RunResult] = []
        var files: [String] = []
        for round in 1...runs {
            print("calibrate: run \(round) of \(runs)")
            let runner = ScenarioRunner(scenario: scenario, options: options, progress: ProgressDisplay(quiet: quiet))
            let interrupts = InterruptHandler { runner.interrupt(by: $0) }
            let result: RunResult
            do {
                result = try await runner.run()
            } catch {
                interrupts.cancel()
                FileHandle.standardError.write(Data("surge calibrate: run \(round): \(error)\n".utf8))
                throw SurgeExitCode.badInput.exitCode
            }
            interrupts.cancel()
            results.append(result)
            files.append(runner.resultPath)
            print("calibrate: run \(round) → \(runner.resultPath)")
            if result.status == .interrupted {
                FileHandle.standardError.write(Data("surge calibrate: interrupted; no thresholds written\n".utf8))
                throw SurgeExitCode.interrupted.exitCode
            }
        }
        let calibration: Calibration
        let before: RegressionGate
        do {
            calibration = try NoiseCalibrator.calibrate(runs: results, runFiles: files, alpha: alpha)
            let settings = try RegressionGate.settings(from: Array(results.prefix(1)))
            before = RegressionGate(scenario: settings.scenario, keyMetrics: settings.keyMetrics)
        } catch {
            FileHandle.standardError.write(Data("surge calibrate: \(error)\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        let stem = name ?? ((scenario.file as NSString).lastPathComponent as NSString).deletingPathExtension
        let path = "\(baselinesDirectory)/\(stem).thresholds.yaml"
        print(Self.table(calibration, before: before))
        do {
            try FileManager.default.createDirectory(atPath: baselinesDirectory, withIntermediateDirectories: true)
            try AtomicFile.write(Data(calibration.yaml().utf8), to: path)
        } catch {
            FileHandle.standardError.write(Data("surge calibrate: could not write \(path): \(error)\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        print("\nthresholds: \(path) (\(NoiseCalibrator.methodText))")
        if results.contains(where: { $0.cells.contains { $0.status == .failed } }) {
            FileHandle.standardError.write(Data("surge calibrate: some cells failed; they have no thresholds\n".utf8))
            throw SurgeExitCode.cellFailed.exitCode
        }
    }

    /// The gated metrics per cell: noise, detectable change, the threshold written, and the one the gate
    /// applied before (`before`: the same gate without a calibration).
    static func table(_ c: Calibration, before gate: RegressionGate) -> String {
        var lines: [[String]] = [["cell", "metric", "noise", "detectable", "threshold", "was"]]
        for row in c.cells.keys.sorted() {
            for metric in c.cells[row]!.keys.sorted() {
                let e = c.cells[row]![metric]!
                guard let threshold = e.threshold else { continue }
                var was = "-"
                if let before = gate.threshold(row: row, metric: Metric.named(metric)) {
                    was = "\(pct(before.fraction)) (\(before.source.rawValue))" + (before.fraction < e.noise ? " < noise" : "")
                }
                lines.append([row, metric, pct(e.noise), e.detectable.map(pct) ?? "n/a", pct(threshold), was])
            }
        }
        let widths = lines[0].indices.map { i in lines.map { $0[i].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { i, text in
                i < 2
                    ? text.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - text.count) + text
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func pct(_ f: Double) -> String {
        GoFloatFormat.fixed(f * 100, 1) + "%"
    }
}
