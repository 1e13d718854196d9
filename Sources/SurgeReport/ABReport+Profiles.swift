import Foundation
import SurgeCompare
import SurgeResults

extension ABReport {
    /// The significant changes of a cell's shown metrics, for the heading of its differential
    /// profile: `msgs/s +31.20% improvement`, `p99-ns -8.00% REGRESSION`, `syscalls/op changed`.
    public func significantChanges(cell: String) -> [String] {
        shown.filter { $0.cell == cell && $0.finding.significant }.map { e in
            let change = e.paired.map { Self.percent($0.ratio - 1) + " " } ?? ""
            let what = e.finding.isRegression ? "REGRESSION" : e.finding.isImprovement ? "improvement" : "changed"
            return "\(e.metric) \(change)\(what)"
        }
    }

    /// Reads the differential profiles of every cell both sides profiled (`surge ab --profile`);
    /// returns the notes of cells whose files could not be read or compared.
    @discardableResult
    public mutating func attachProfileDiffs() -> [String] {
        let report = self
        let built = ProfileDiffs.build(a: a, aPath: aPath, b: b, bPath: bPath) { report.significantChanges(cell: $0) }
        profileDiffs = built.diffs
        return built.notes
    }
}
