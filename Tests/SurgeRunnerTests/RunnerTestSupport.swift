import Foundation
import SurgeResults
import SurgeRunner
import SurgeScenario
import XCTest

/// Finds the `surge` binary built beside the test bundle, and runs scenarios written by a test.
enum RunnerTestSupport {
    /// `.build/<triple>/debug/surge`, next to the running test bundle.
    static var surgeExecutable: String? {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: me).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("surge").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func requireSurge() throws -> String {
        guard let path = surgeExecutable else {
            throw XCTSkip("the surge executable is not built next to the tests; run `swift build` first")
        }
        return path
    }

    static func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-runner-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func which(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin:/usr/sbin").split(separator: ":") {
            let p = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

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
