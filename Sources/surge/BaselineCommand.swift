import ArgumentParser
import Foundation
import SurgeResults

/// `surge baseline save NAME RUN.json`: keeps a run as a named baseline under Reports/baselines/,
/// host fingerprint included, for `surge compare --baseline NAME NEW.json`.
struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Manage named baselines (Reports/baselines/NAME.json).",
        subcommands: [Save.self]
    )

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "save",
            abstract: "Save a result file as baseline NAME (written atomically)."
        )

        @Argument(help: "Baseline name: letters, digits, '.', '_' or '-'.")
        var name: String
        @Argument(help: "A Surge result file (surge.run/v1 JSON).")
        var run: String
        @Option(name: .customLong("baselines-dir"), help: "Where baselines live.")
        var directory = "Reports/baselines"

        func validate() throws {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
            guard !name.isEmpty, !name.hasPrefix("."), name.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
                throw ValidationError("baseline name '\(name)' must be letters, digits, '.', '_' or '-' (and not start with '.')")
            }
        }

        func run() async throws {
            var stderr = StandardError()
            do {
                let result = try RunResultCodec.read(path: run)
                let path = "\(directory)/\(name).json"
                try RunResultCodec.write(result, path: path)
                print("saved baseline '\(name)' → \(path) (run \(result.runID), scenario \(result.scenario.name), host \(result.host.fingerprint))")
            } catch {
                print("surge baseline save: \(error)", to: &stderr)
                throw ExitCode(1)
            }
        }
    }
}
