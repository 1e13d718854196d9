import ArgumentParser
import Foundation
import SurgeLoad
import SurgeScenario

/// `surge list`: what Surge can run — components, workloads and their parameters, scenarios.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the built-in components, workload kinds with their parameters, and the scenarios in Scenarios/."
    )

    @Option(help: "Directory of scenario files.")
    var scenarios = "Scenarios"

    func run() throws {
        print("Components (surge serve <name>):")
        for c in ComponentCatalog.all {
            print("  \(c.componentName.padding(toLength: 12, withPad: " ", startingAt: 0)) \(c.summary)")
            for o in c.declaredOptions.options {
                print("      \(Self.pad(o.name, 22)) \(Self.pad(o.typeText, 22)) \(o.help) (default: \(o.defaultText))")
            }
        }
        print("\nWorkloads (workload.kind):")
        for w in WorkloadRegistry.all {
            print("  \(w.kind.padding(toLength: 14, withPad: " ", startingAt: 0)) \(w.summary)")
            for p in w.parameters {
                let def = p.defaultValue.map { " (default: \($0))" } ?? ""
                print("      \(p.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(p.type.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(p.help)\(def)")
            }
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: scenarios)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        print("\nScenarios (\(scenarios)/):")
        if files.isEmpty { print("  none found") }
        for f in files {
            let path = (scenarios as NSString).appendingPathComponent(f)
            if let s = try? ScenarioLoader.load(path: path) {
                print("  \(f.padding(toLength: 30, withPad: " ", startingAt: 0)) \(s.cells().count) cells  \(s.description ?? "")")
            } else {
                print("  \(f.padding(toLength: 30, withPad: " ", startingAt: 0)) (invalid: run `surge validate \(path)`)")
            }
        }
    }

    /// `text` padded with spaces to `width`, never cut.
    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
