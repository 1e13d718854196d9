import ArgumentParser
import Foundation
import SurgeHistory
import SurgeResults

/// `surge history add|list`: the append-only run history (SQLite, `Reports/history.sqlite` by default,
/// or PostgreSQL: `--db postgres://...` or `SURGE_HISTORY_URL`).
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Keep every run in a history database for trends and weekly reports.",
        discussion: """
            The history is an SQLite database in WAL mode, or a PostgreSQL database (--db \
            postgres://USER@HOST:PORT/DB, or SURGE_HISTORY_URL); the same tables on both. Many CI jobs \
            may append at once; a run id already stored is left as it was. Runs are stored whole, with \
            their host fingerprint, source commit and time; nothing is rewritten.
            """,
        subcommands: [Add.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Append result files to the history.")

        @Option(name: .customLong("db"), help: HistoryAccess.help)
        var database: String?
        @Argument(help: "Surge result files (surge.run/v1 JSON).")
        var runs: [String]

        func validate() throws {
            if runs.isEmpty { throw ValidationError("give at least one result file") }
        }

        func run() async throws {
            var stderr = StandardError()
            do {
                let location = try HistoryLocation.resolve(option: database)
                try await HistoryAccess.using(location) { store in
                    for path in runs {
                        let run = try RunResultCodec.read(path: path)
                        switch try await store.add(run, sourcePath: path) {
                        case .added: print("added \(run.runID) (scenario \(run.scenario.name)) → \(location)")
                        case .alreadyPresent: print("\(run.runID) is already in \(location); left as stored")
                        }
                    }
                }
            } catch {
                print("surge history add: \(error)", to: &stderr)
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runs in the history, oldest first.")

        @Option(name: .customLong("db"), help: HistoryAccess.help)
        var database: String?
        @Option(help: "Only runs of this scenario (its name).")
        var scenario: String?
        @Option(help: "Only runs started in this period before now: 12h, 30d, 2w.")
        var since: String?

        func validate() throws {
            if let since, LookbackPeriod.seconds(since) == nil {
                throw ValidationError("--since: expected a period like 12h, 30d or 2w, found '\(since)'")
            }
        }

        func run() async throws {
            var stderr = StandardError()
            do {
                let location = try HistoryLocation.resolve(option: database)
                guard location.mayHoldHistory else {
                    print("surge history list: \(location): no history yet (add runs with `surge history add` or "
                        + "`surge run --history`)", to: &stderr)
                    throw ExitCode(1)
                }
                let start = since.flatMap { LookbackPeriod.start($0) }
                let entries = try await HistoryAccess.using(location) {
                    try await $0.list(scenario: scenario, since: start)
                }
                print(HistoryTable.render(entries))
            } catch let exit as ExitCode {
                throw exit
            } catch {
                print("surge history list: \(error)", to: &stderr)
                throw ExitCode(1)
            }
        }
    }
}

/// The text table of `surge history list`.
enum HistoryTable {
    static func render(_ entries: [HistoryEntry]) -> String {
        if entries.isEmpty { return "no runs" }
        let formatter = ISO8601DateFormatter()
        let header = ["started", "run", "scenario", "commit", "status", "cells ok/failed/skipped", "host"]
        var rows = [header]
        for e in entries {
            let commit = e.commit.map { String($0.prefix(12)) + (e.dirty == true ? "+dirty" : "") } ?? "-"
            rows.append([formatter.string(from: e.startedAt), e.runID, e.scenario, commit, e.status,
                         "\(e.cellsOK)/\(e.cellsFailed)/\(e.cellsSkipped)", e.fingerprint])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, v in c == row.count - 1 ? v : v.padding(toLength: widths[c], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n\(entries.count) run\(entries.count == 1 ? "" : "s")"
    }
}
