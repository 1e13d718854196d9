import ArgumentParser
import Foundation
import SurgeCompare
import SurgeHistory
import SurgeReport
import SurgeResults

/// `surge report RUN.json [--baseline NAME | --against OTHER.json] --out DIR` and
/// `surge report weekly [--since 7d] [--db FILE|URL] [--json FILE] --out DIR`.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML and a markdown report of a run (or of the week's history) with gnuplot charts.",
        discussion: """
            Writes DIR/index.html (one self-contained file: CSS and SVG charts inline) and DIR/report.md \
            (charts as DIR/charts/*.png). Charts need gnuplot (Debian's gnuplot-nox; --gnuplot or \
            SURGE_GNUPLOT choose the program); without it the report is written without charts and says why. \
            With a baseline, the exit status is surge compare's: 0 no regression, 2 regression, 3 not \
            comparable, 1 bad input; the gate is compare's (thresholds, calibration, key metrics).
            """,
        subcommands: [Run.self, Weekly.self],
        defaultSubcommand: Run.self
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Report one run, optionally compared with a baseline.",
            usage: "surge report run <run> --out <out> [--baseline <baseline>] [<options>]")

        @Argument(help: "A Surge result file (surge.run/v1 JSON).")
        var run: String
        @Option(help: "Compare with Reports/baselines/NAME.json.")
        var baseline: String?
        @Option(name: .customLong("baselines-dir"), help: "Where baselines live.")
        var baselinesDirectory = "Reports/baselines"
        @Option(help: "Compare with this result file.")
        var against: String?
        @Option(name: .customLong("out"), help: "Directory for index.html, report.md and charts/.")
        var outputDirectory: String
        @Option(help: "The gnuplot program (default: SURGE_GNUPLOT, else gnuplot from PATH).")
        var gnuplot: String?
        @Flag(help: "Also write the short markdown form to $GITHUB_STEP_SUMMARY (appended) when it is set, else to standard output.")
        var summary = false
        @OptionGroup var gate: GateOptions

        func validate() throws {
            if baseline != nil && against != nil { throw ValidationError("give --baseline or --against, not both") }
        }

        func run() async throws {
            var stderr = StandardError()
            if baseline == nil, against == nil, let pair = AbRecordInput.pair([run]) {
                var request = ComparisonRequest()
                do {
                    try gate.apply(to: &request, baselinesDirectory: baselinesDirectory, baseline: nil)
                } catch {
                    print("surge report: \(error)", to: &stderr)
                    throw ExitCode(1)
                }
                let status = AbRecordInput.judge(pair, request: request, reportDirectory: outputDirectory)
                if status != 0 { throw ExitCode(status) }
                return
            }
            var report: RunReport
            do {
                let result = try RunResultCodec.read(path: run)
                var basePath = against
                if let baseline { basePath = "\(baselinesDirectory)/\(baseline).json" }
                let base = try basePath.map { try RunResultCodec.read(path: $0) }
                var request = ComparisonRequest()
                try gate.apply(to: &request, baselinesDirectory: baselinesDirectory, baseline: baseline)
                report = try RunReport(run: result, runPath: run, baseline: base, baselinePath: basePath, request: request)
                for note in report.attachProfileDiffs() { print("note: \(note)", to: &stderr) }
            } catch {
                print("surge report: \(error)", to: &stderr)
                throw ExitCode(1)
            }
            do {
                let writer = ReportWriter(gnuplot: gnuplot.map { GnuplotRenderer(executable: $0) } ?? GnuplotRenderer())
                let written = try writer.write(report, to: outputDirectory)
                print("html: \(written.htmlPath)\nmarkdown: \(written.markdownPath)\ncharts: \(written.chartCount)")
                if let note = written.chartsNote { print("note: \(note)", to: &stderr) }
                if summary { try SummaryOutput.write(MarkdownReportRenderer.summary(report)) }
            } catch {
                print("surge report: \(error)", to: &stderr)
                throw ExitCode(1)
            }
            if let c = report.comparison {
                print(c.verdict)
                if c.exitStatus != 0 { throw ExitCode(c.exitStatus) }
            }
        }
    }

    struct Weekly: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "weekly", abstract: "Trends, week-over-week changes, change points and failures from the history.",
            usage: "surge report weekly --out <out> [--db <db>] [--since <since>] [<options>]")

        @Option(help: "The week: runs started in this period before now (e.g. 7d); the previous period is compared with it.")
        var since = "7d"
        @Option(help: "How far back the trend charts and change-point search reach.")
        var trend = "56d"
        @Option(name: .customLong("db"), help: HistoryAccess.help)
        var database: String?
        @Option(help: """
            The end of the week, ISO 8601 (2026-12-01T00:00:00Z), to write a past week's report again; default: now.
            """)
        var now: String?
        @Option(name: .customLong("out"), help: "Directory for index.html, report.md and charts/.")
        var outputDirectory: String
        @Option(help: "The gnuplot program (default: SURGE_GNUPLOT, else gnuplot from PATH).")
        var gnuplot: String?
        @Flag(help: "Also write the short markdown form to $GITHUB_STEP_SUMMARY when set.")
        var summary = false
        @Option(name: .customLong("json"), help: "Also write the findings as JSON (schema surge.weekly/v1) to FILE, for CI.")
        var jsonPath: String?

        func validate() throws {
            for (flag, v) in [("--since", since), ("--trend", trend)] where LookbackPeriod.seconds(v) == nil {
                throw ValidationError("\(flag): expected a period like 7d, 12h or 8w, found '\(v)'")
            }
            if let now, ISO8601DateFormatter().date(from: now) == nil {
                throw ValidationError("--now: expected an ISO 8601 time like 2026-12-01T00:00:00Z, found '\(now)'")
            }
        }

        func run() async throws {
            var stderr = StandardError()
            do {
                let location = try HistoryLocation.resolve(option: database)
                guard location.mayHoldHistory else {
                    print("surge report weekly: \(location): no history (add runs with `surge history add` or "
                        + "`surge run --history`)", to: &stderr)
                    throw ExitCode(1)
                }
                let now = self.now.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date()
                let week = LookbackPeriod.seconds(since) ?? 7 * 86400
                let span = max(LookbackPeriod.seconds(trend) ?? 56 * 86400, 2 * week)
                let runs = try await HistoryAccess.using(location) {
                    try await $0.trendRuns(scenario: nil, since: now.addingTimeInterval(-span))
                }
                let report = WeeklyReport(runs: runs, now: now, week: week)
                let writer = ReportWriter(gnuplot: gnuplot.map { GnuplotRenderer(executable: $0) } ?? GnuplotRenderer())
                let written = try writer.write(report, to: outputDirectory)
                print("html: \(written.htmlPath)\nmarkdown: \(written.markdownPath)\ncharts: \(written.chartCount)")
                print(WeeklyRenderer.countLine(report))
                if let note = written.chartsNote { print("note: \(note)", to: &stderr) }
                if summary { try SummaryOutput.write(WeeklyRenderer.summary(report)) }
                if let jsonPath {
                    do {
                        try AtomicFile.write(WeeklyFindingsJSON(report).encoded(), to: jsonPath)
                    } catch {
                        throw CompareInputError("\(jsonPath) (--json): cannot write: \(error.localizedDescription)")
                    }
                    print("json: \(jsonPath)")
                }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                print("surge report weekly: \(error)", to: &stderr)
                throw ExitCode(1)
            }
        }
    }
}

/// `--summary`: appends to `$GITHUB_STEP_SUMMARY` when set (GitHub's job summary), else prints.
enum SummaryOutput {
    static func write(_ markdown: String) throws {
        guard let path = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else {
            print(markdown)
            return
        }
        guard let handle = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
            throw CompareInputError("\(path) ($GITHUB_STEP_SUMMARY): cannot open for writing")
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(markdown.utf8))
    }
}
