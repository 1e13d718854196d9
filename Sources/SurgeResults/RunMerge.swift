import Foundation

/// Why shards cannot be merged into one run. Every case names the files involved.
public enum RunMergeError: Error, CustomStringConvertible, Sendable, Equatable {
    case noInputs
    case notAShard(file: String)
    case mixedScenarios(file: String, scenario: String, expected: String, expectedFile: String)
    case mixedVersions(file: String, version: String, expected: String, expectedFile: String)
    case mixedShardCounts(file: String, count: Int, expected: Int, expectedFile: String)
    case duplicateShard(index: Int, files: [String])
    case missingShards([Int], count: Int)
    case duplicateCell(cell: String, files: [String])
    case unexpectedCell(cell: String, file: String)
    case cellNotRun(cell: String, shards: Int)

    public var description: String {
        switch self {
        case .noInputs: return "surge merge: no result files given"
        case .notAShard(let file):
            return "\(file): not a shard (no \"shard\" record; it was not written by `surge run --shard i/n`)"
        case .mixedScenarios(let file, let scenario, let expected, let expectedFile):
            return "\(file): scenario \(scenario) differs from \(expected) in \(expectedFile)"
                + " (shards of one run share the scenario file's SHA-256)"
        case .mixedVersions(let file, let version, let expected, let expectedFile):
            return "\(file): surge \(version) differs from surge \(expected) in \(expectedFile)"
        case .mixedShardCounts(let file, let count, let expected, let expectedFile):
            return "\(file): a shard of \(count), but \(expectedFile) is a shard of \(expected)"
        case .duplicateShard(let index, let files):
            return "shard \(index) given twice: \(files.joined(separator: ", "))"
        case .missingShards(let missing, let count):
            let list = missing.map { "\($0)/\(count)" }.joined(separator: ", ")
            return "missing shard\(missing.count == 1 ? "" : "s") \(list): merge needs all \(count)"
        case .duplicateCell(let cell, let files):
            return "cell \(cell) is in more than one shard: \(files.joined(separator: ", "))"
        case .unexpectedCell(let cell, let file):
            return "\(file): cell \(cell) is not in the run's matrix as the shard record lists it"
        case .cellNotRun(let cell, let shards):
            return "cell \(cell) of the run's matrix is in none of the \(shards) shards' results"
        }
    }
}

/// Joins the shards of one sharded run into one result file without losing anything: every cell's
/// samples, histograms and counters are carried over unchanged, cells come back in matrix order, and a
/// manifest records which shard (file, run id, host) ran which cell. Shards measured on machines whose
/// fingerprints differ are merged, with the cell's own host recorded and a note saying so.
public enum RunMerge {
    public struct Input: Sendable {
        public var file: String
        public var run: RunResult

        public init(file: String, run: RunResult) {
            self.file = file
            self.run = run
        }
    }

    public static func merge(_ inputs: [Input]) throws(RunMergeError) -> RunResult {
        guard !inputs.isEmpty else { throw .noInputs }
        let shards = try checkedShards(inputs)
        let count = shards[0].shard.count
        let allCells = shards[0].shard.allCells
        var owner: [String: Input] = [:]
        for input in inputs {
            for cell in input.run.cells {
                if let earlier = owner[cell.name] {
                    throw .duplicateCell(cell: cell.name, files: [earlier.file, input.file])
                }
                guard allCells.contains(cell.name) else { throw .unexpectedCell(cell: cell.name, file: input.file) }
                owner[cell.name] = input
            }
        }
        if let lost = allCells.first(where: { owner[$0] == nil }) {
            throw .cellNotRun(cell: lost, shards: count)
        }
        let byIndex = Dictionary(uniqueKeysWithValues: inputs.map { ($0.run.shard!.index, $0) })
        let base = byIndex[1]!.run
        var merged = RunResult(
            runID: base.runID.replacingOccurrences(of: "-shard1of\(count)", with: "") + "-merged",
            startedAt: inputs.map(\.run.startedAt).min()!, scenario: base.scenario, source: base.source,
            host: base.host, target: base.target)
        merged.finishedAt = inputs.compactMap(\.run.finishedAt).max()
        merged.status = inputs.contains { $0.run.status != .complete } ? .interrupted : .complete
        if inputs.contains(where: { $0.run.status == .running }) { merged.status = .running }
        merged.cells = allCells.map { name in
            let input = owner[name]!
            var cell = input.run.cells.first { $0.name == name }!
            cell.probeMethods = cell.probeMethods ?? input.run.probeMethods
            if input.run.host.fingerprint != base.host.fingerprint { cell.host = input.run.host }
            return cell
        }
        merged.probeMethods = mergedProbeMethods(inputs.map(\.run))
        merged.notes = mergedNotes(inputs, base: base)
        merged.merge = MergeManifest(
            shards: count,
            parts: (1...count).map { i in
                let input = byIndex[i]!
                return MergeManifest.Part(
                    shard: i, runID: input.run.runID, file: input.file, hostname: input.run.host.hostname,
                    hostFingerprint: input.run.host.fingerprint, cells: input.run.cells.map(\.name))
            })
        return merged
    }

    /// The inputs' shard records, after checking they are shards of one run, each index once, none missing.
    private static func checkedShards(_ inputs: [Input]) throws(RunMergeError) -> [(file: String, shard: ShardRecord)] {
        var shards: [(file: String, shard: ShardRecord)] = []
        for input in inputs {
            guard let shard = input.run.shard else { throw .notAShard(file: input.file) }
            shards.append((input.file, shard))
        }
        let ref = inputs[0]
        for input in inputs.dropFirst() {
            if input.run.scenario.sha256 != ref.run.scenario.sha256 {
                throw .mixedScenarios(
                    file: input.file, scenario: "\(input.run.scenario.name) (\(input.run.scenario.sha256.prefix(12)))",
                    expected: "\(ref.run.scenario.name) (\(ref.run.scenario.sha256.prefix(12)))",
                    expectedFile: ref.file)
            }
            if input.run.host.surgeVersion != ref.run.host.surgeVersion {
                throw .mixedVersions(
                    file: input.file, version: input.run.host.surgeVersion, expected: ref.run.host.surgeVersion,
                    expectedFile: ref.file)
            }
            if input.run.shard!.count != shards[0].shard.count {
                throw .mixedShardCounts(
                    file: input.file, count: input.run.shard!.count, expected: shards[0].shard.count,
                    expectedFile: ref.file)
            }
        }
        let count = shards[0].shard.count
        for index in 1...count {
            let files = shards.filter { $0.shard.index == index }.map(\.file)
            if files.count > 1 { throw .duplicateShard(index: index, files: files) }
        }
        let present = Set(shards.map(\.shard.index))
        let missing = (1...count).filter { !present.contains($0) }
        if !missing.isEmpty { throw .missingShards(missing, count: count) }
        return shards
    }

    /// The run-level methods all shards agree on; a metric measured differently is left to the cells' own records.
    private static func mergedProbeMethods(_ runs: [RunResult]) -> [String: String] {
        var out = runs[0].probeMethods
        for run in runs.dropFirst() {
            for (metric, method) in out where run.probeMethods[metric] != method { out[metric] = nil }
        }
        return out
    }

    private static func mergedNotes(_ inputs: [Input], base: RunResult) -> [String] {
        var notes: [String] = []
        for input in inputs.sorted(by: { $0.run.shard!.index < $1.run.shard!.index }) {
            for note in input.run.notes where !notes.contains(note) { notes.append(note) }
        }
        let hosts = Set(inputs.map(\.run.host.fingerprint))
        if hosts.count > 1 {
            notes.append(
                "merged from shards measured on \(hosts.count) different hosts; each cell's own host is recorded "
                    + "where it differs from shard 1's (\(base.host.hostname))")
        }
        return notes
    }
}
