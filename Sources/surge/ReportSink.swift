import Foundation
import SurgeReport
import SurgeResults
import SurgeRunner

/// The run's report (index.html and report.md with gnuplot charts) in a directory.
struct ReportSink: RunSink {
    var directory: String
    var what: String { "report" }

    func deliver(_ run: RunResult, resultPath: String) throws -> [String] {
        let report = try RunReport(run: run, runPath: resultPath, baseline: nil, baselinePath: nil)
        let written = try ReportWriter(gnuplot: GnuplotRenderer()).write(report, to: directory)
        var lines = ["report: \(written.htmlPath) and \(written.markdownPath) (\(written.chartCount) charts)"]
        if let note = written.chartsNote { lines.append("note: \(note)") }
        return lines
    }
}
