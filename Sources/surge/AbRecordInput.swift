import Foundation
import SurgeCompare
import SurgeResults

/// `surge compare` and `surge report` given the result files of a `surge ab`: one file of the pair
/// (the other is found through its `ab` record) or both. They are then judged as `surge ab` judges
/// them, by rounds (paired), not as two independent samples.
enum AbRecordInput {
    struct Pair {
        var a: RunResult
        var b: RunResult
        var aPath: String
        var bPath: String
    }

    /// The pair `paths` names, or nil when they are not the files of one `surge ab`.
    static func pair(_ paths: [String]) -> Pair? {
        guard (1...2).contains(paths.count), paths.allSatisfy({ $0.hasSuffix(".json") && !$0.contains("=") }) else {
            return nil
        }
        guard let first = try? RunResultCodec.read(path: paths[0]), let record = first.ab else { return nil }
        let otherPath: String
        if paths.count == 2 {
            otherPath = paths[1]
        } else if FileManager.default.fileExists(atPath: record.otherFile) {
            otherPath = record.otherFile
        } else {
            otherPath = ((paths[0] as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("\(record.otherRunID).json")
        }
        guard let other = try? RunResultCodec.read(path: otherPath), other.runID == record.otherRunID,
            other.ab?.otherRunID == first.runID
        else { return nil }
        return record.side == "A"
            ? Pair(a: first, b: other, aPath: paths[0], bPath: otherPath)
            : Pair(a: other, b: first, aPath: otherPath, bPath: paths[0])
    }

    /// Judges the pair like `surge ab` (text on standard output, the report in `reportDirectory` if
    /// given); returns the exit status.
    static func judge(_ pair: Pair, request: ComparisonRequest, reportDirectory: String?) -> Int32 {
        do {
            let status = try AbCommand.judge(
                pair.a, pair.b, paths: (pair.aPath, pair.bPath), request: request, stopReason: nil,
                reportDirectory: reportDirectory)
            return status.rawValue
        } catch {
            return SurgeExitCode.badInput.rawValue
        }
    }
}
