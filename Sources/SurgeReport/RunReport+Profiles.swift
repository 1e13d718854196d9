import Foundation
import SurgeCompare
import SurgeResults

extension RunReport {
    /// The cells of the run with a significant regression or improvement against the baseline, and
    /// those changes (`msgs/s -12.30% REGRESSION`), by cell name.
    public var significantChanges: [String: [String]] {
        ProfileDiffs.significantChanges(comparison?.findings ?? [], in: run)
    }

    /// Reads the differential profiles (baseline as A, this run as B) of the cells with a significant
    /// regression or improvement that both runs profiled; returns the notes of unreadable ones.
    @discardableResult
    public mutating func attachProfileDiffs() -> [String] {
        guard let comparison, comparison.findings.contains(where: { $0.isRegression || $0.isImprovement }),
            let baseline, let runPath, let baselinePath
        else { return [] }
        let changes = significantChanges
        let built = ProfileDiffs.build(
            a: baseline.run, aPath: baselinePath, b: run, bPath: runPath, cells: Set(changes.keys)
        ) { changes[$0] ?? [] }
        profileDiffs = built.diffs
        return built.notes
    }
}
