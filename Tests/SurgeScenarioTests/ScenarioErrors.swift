import XCTest
@testable import SurgeScenario

/// What `ScenarioLoader.parse` reports for `yaml`, read as `bad.yaml`: one line per diagnostic
/// (`bad.yaml:7:37: error: …`); a test failure when the scenario loads.
func scenarioErrors(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
    do {
        _ = try ScenarioLoader.parse(yaml, file: "bad.yaml")
        XCTFail("expected errors", file: file, line: line)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}
