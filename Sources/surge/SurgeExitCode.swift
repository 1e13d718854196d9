import ArgumentParser

/// The exit status of every `surge` command: one meaning per number, whichever command exits.
enum SurgeExitCode: Int32, CaseIterable {
    case ok = 0
    /// Bad input or usage: a scenario, result or thresholds file that cannot be read or holds nothing
    /// to compare, an unknown option, a value out of range (argument-parser's 64 is mapped to this).
    case badInput = 1
    /// A gated metric regressed beyond its threshold, significantly.
    case regression = 2
    /// The inputs measured different things (another scenario or host).
    case notComparable = 3
    /// A cell of a run failed (crash, hang, lost messages).
    case cellFailed = 4
    /// Interrupted by SIGINT or SIGTERM (the result file is still written).
    case interrupted = 130

    var exitCode: ExitCode { ExitCode(rawValue) }

    /// For help texts.
    static let summary =
        "Exit status: 0 ok, 1 bad input or usage, 2 regression, 3 not comparable, 4 a cell failed, 130 interrupted."
}
