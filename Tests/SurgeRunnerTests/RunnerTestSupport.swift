import Foundation
import SurgeResults
import SurgeRunner
import SurgeScenario
import SurgeTestKit
import XCTest

/// Runs scenarios written by a test (the binary and temporary directories come from SurgeTestKit).
enum RunnerTestSupport {
    static var surgeExecutable: String? { SurgeBinary.path }

    static func requireSurge() throws -> String { try SurgeBinary.require() }

    static func tempDir() -> String { SurgeBinary.tempDir("surge-runner") }

    static func which(_ program: String) -> String? { SurgeBinary.which(program) }

    /// Loads `yaml` as a scenario, runs it with the real runner and returns the runner and result.
    static func run(_ yaml: String, during: (@Sendable (ScenarioRunner) async -> Void)? = nil) async throws -> (ScenarioRunner, RunResult) {
        ScenarioValidator.knownComponents = ["broker", "mesh-node"]
        let dir = tempDir()
        let file = "\(dir)/scenario.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let scenario = try ScenarioLoader.load(path: file)
        let problems = ScenarioValidator.diagnostics(for: scenario)
        XCTAssertEqual(problems.map(\.description), [], "the test scenario should be valid")
        var options = RunOptions(surgeExecutable: try requireSurge(), surgeVersion: "test")
        options.outputDirectory = "\(dir)/runs"
        let runner = ScenarioRunner(scenario: scenario, options: options, progress: ProgressDisplay(quiet: true))
        let side = Task { await during?(runner) }
        let result = try await runner.run()
        side.cancel()
        return (runner, result)
    }
}

extension RunnerTestSupport {
    /// Runs `yaml` (with the seed components known) and returns its result; `probes` as `--probes`.
    static func runSeed(_ yaml: String, probes: [String]? = nil) async throws -> RunResult {
        ScenarioValidator.knownComponents = ["broker", "stream", "router"]
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = "\(dir)/scenario.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let scenario = try ScenarioLoader.load(path: file)
        XCTAssertEqual(ScenarioValidator.diagnostics(for: scenario).map(\.description), [])
        var options = RunOptions(surgeExecutable: try requireSurge(), surgeVersion: "test")
        options.outputDirectory = "\(dir)/runs"
        options.probes = probes
        let runner = ScenarioRunner(scenario: scenario, options: options, progress: ProgressDisplay(quiet: true))
        return try await runner.run()
    }
}
