import Foundation
import SurgeCompare
import SurgeReport
import SurgeResults

/// The differential profiles `surge compare OLD NEW` prints after the verdict: for every cell with a
/// significant regression or improvement that both result files profiled, the biggest changes
/// (markdown tables with `--format markdown`), and with `--profile-diffs DIR` the differential
/// flame graphs written there. Only for two Surge result files (the first is A, the last B).
enum CompareProfiles {
    static func section(
        inputs: [String], findings: [GateFinding], markdown: Bool, directory: String?, stderr: inout StandardError
    ) -> String {
        guard inputs.count == 2, findings.contains(where: { $0.isRegression || $0.isImprovement }) else { return "" }
        let paths = inputs.map(path)
        guard let a = try? RunResultCodec.read(path: paths[0]), let b = try? RunResultCodec.read(path: paths[1])
        else { return "" }
        let changes = ProfileDiffs.significantChanges(findings, in: b)
        var built = ProfileDiffs.build(a: a, aPath: paths[0], b: b, bPath: paths[1], cells: Set(changes.keys)) {
            changes[$0] ?? []
        }
        for note in built.notes { print("surge compare: note: \(note)", to: &stderr) }
        guard !built.diffs.isEmpty else { return "" }
        if let directory {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try ProfileDiffs.writeSVGs(&built.diffs, to: directory)
                for i in built.diffs.indices {
                    let full = { (directory as NSString).appendingPathComponent($0) }
                    built.diffs[i].svgFile = built.diffs[i].svgFile.map(full)
                    built.diffs[i].svgFileShapeA = built.diffs[i].svgFileShapeA.map(full)
                }
            } catch {
                print("surge compare: the differential flame graphs could not be written: \(error)", to: &stderr)
            }
        }
        var out = markdown ? ProfileDiffs.markdown(built.diffs) : ProfileDiffs.text(built.diffs)
        if directory == nil {
            out += (markdown ? "\n" : "") + "(--profile-diffs DIR draws the differential flame graphs)\n"
        }
        return out
    }

    /// `label=path` → path (a path that exists as given is kept whole).
    static func path(_ input: String) -> String {
        if FileManager.default.fileExists(atPath: input) { return input }
        guard let eq = input.firstIndex(of: "=") else { return input }
        return String(input[input.index(after: eq)...])
    }
}
