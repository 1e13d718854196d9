import ArgumentParser
import Foundation

/// The `surge` command: runs scenarios, serves the built-in components, compares and reports.
@main
struct Surge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "surge",
        abstract: "Benchmark and profile message brokers, HTTP servers and service meshes.",
        discussion: """
            A scenario file names a target and a load matrix; `surge run` drives the target through \
            every cell, measures it from the outside and writes a result file under Reports/runs/.
            Exit status (every command): 0 ok, 1 bad input or usage, 2 regression, 3 not comparable, \
            4 a cell failed, 130 interrupted.
            """,
        version: SurgeVersion.string,
        subcommands: [
            RunCommand.self, AbCommand.self, CompareCommand.self, BaselineCommand.self, ProbeCommand.self, ValidateCommand.self, ListCommand.self,
            ServeCommand.self, ReportCommand.self, HistoryCommand.self, CalibrateCommand.self, MergeCommand.self,
            ProfileCommand.self,
        ]
    )

    /// Runs the command; a usage error exits 1 (not argument-parser's 64), as every command documents.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(SurgeExitCode.badInput.rawValue)
            }
            exit(withError: error)
        }
    }
}

enum SurgeVersion {
    static let string = "0.1.0"
}
