import ArgumentParser
import Foundation
import SurgeRunner
import SurgeScenario

/// `surge validate FILE...`: checks scenario files without running anything.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check scenario files: every error with its file, line and key.",
        discussion: "Exit status 0 when every file is valid, 1 otherwise. Nothing is started."
    )

    @Argument(help: "Scenario files (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var files: [String]

    func run() throws {
        ComponentCatalog.register()
        
        var failed = false
        for file in files {
            let problems: [ScenarioDiagnostic]
            var summary = ""
            do {
                let scenario = try ScenarioLoader.load(path: file)
                problems = ScenarioValidator.diagnostics(for: scenario)
                let cells = scenario.cells().count
                summary = "\(cells) cell\(cells == 1 ? "" : "s") × \(scenario.repetitions) repetitions, workload\(scenario.workloads.count == 1 ? "" : "s") \(scenario.workloadKinds.joined(separator: ", ")), target\(scenario.targets.count == 1 ? "" : "s") \(scenario.targets.map(Self.describe).joined(separator: ", "))"
            } catch {
                problems = error.diagnostics
            }
            if problems.isEmpty {
                print("\(file): ok (\(summary))")
            } else {
                failed = true
                FileHandle.standardError.write(Data((problems.map(\.description).joined(separator: "\n") + "\n").utf8))
                FileHandle.standardError.write(Data("\(file): \(problems.count) error\(problems.count == 1 ? "" : "s")\n".utf8))
            }
        }
        if failed { throw ExitCode(1) }
    }

    static func describe(_ t: TargetSpec) -> String {
        switch t.kind {
        case .component(let c): return t.name == "default" ? c : "\(t.name) (component \(c))"
        case .command(let argv): return t.name == "default" ? (argv.first?.text ?? "") : "\(t.name) (\(argv.first?.text ?? ""))"
        case .workloadOwned: return "none (the workload's own command)"
        }
    }
}
