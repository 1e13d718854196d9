import ArgumentParser

/// The `surge` command: runs scenarios, serves the built-in components, compares and reports.
@main
struct Surge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "surge",
        abstract: "Benchmark and profile message brokers, HTTP servers and service meshes.",
        discussion: """
            A scenario file names a target and a load matrix; `surge run` drives the target through \
            every cell, measures it from the outside and writes a result file under Reports/runs/.
            """,
        version: SurgeVersion.string,
        subcommands: [
            RunCommand.self, CompareCommand.self, BaselineCommand.self, ProbeCommand.self, ValidateCommand.self, ListCommand.self,
            ServeCommand.self, ReportCommand.self, HistoryCommand.self,
        ]
    )
}

enum SurgeVersion {
    static let string = "0.1.0"
}
