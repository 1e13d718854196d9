import Foundation
import SurgeResults

/// Where a finished run goes besides its result file (the pipeline writes that one itself, after
/// every sample): Go benchmark format, a report. (The history is appended by `surge run --history`.)
public protocol RunSink: Sendable {
    /// What the sink makes, for its failure message (`Go benchmark format`, `history`).
    var what: String { get }
    /// Delivers the run; returns the lines to print (`go benchmark format: PATH`). Throws on failure.
    func deliver(_ run: RunResult, resultPath: String) throws -> [String]
}

public enum RunSinks {
    /// Delivers to every sink; a failing sink is reported on standard error and the others still run.
    /// Returns whether every sink succeeded.
    public static func deliver(_ sinks: [any RunSink], run: RunResult, resultPath: String) -> Bool {
        var ok = true
        for sink in sinks {
            do {
                for line in try sink.deliver(run, resultPath: resultPath) { print(line) }
            } catch {
                ok = false
                FileHandle.standardError.write(
                    Data("surge: the run is saved, but its \(sink.what) could not be written: \(error)\n".utf8))
            }
        }
        return ok
    }
}

/// The run in Go benchmark format, `.txt` beside the `.json`, for Go's benchstat.
public struct BenchFmtSink: RunSink {
    public init() {}
    public var what: String { "Go benchmark format" }

    public static func path(for resultPath: String) -> String {
        (resultPath as NSString).deletingPathExtension + ".txt"
    }

    public func deliver(_ run: RunResult, resultPath: String) throws -> [String] {
        let txt = Self.path(for: resultPath)
        try AtomicFile.write(Data(BenchFmtWriter.write(run).utf8), to: txt)
        return ["go benchmark format: \(txt)"]
    }
}
