import ArgumentParser
import Foundation
import SurgeResults

/// `surge merge SHARD... --out FILE`: joins the shards of one `surge run --shard i/n` into one result file.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the shards of one sharded run (surge run --shard i/n) into one result file.",
        discussion: """
            Every shard 1..n must be given once, all of one scenario file (same SHA-256) and one surge \
            version. Cells keep every sample, histogram and counter unchanged and come back in matrix \
            order; the merged file's "merge" manifest lists which shard (file, run id, host) ran which \
            cell. Shards measured on hosts with different fingerprints are merged, each such cell keeping \
            its own host, with a note. \(SurgeExitCode.summary)
            """
    )

    @Argument(help: "The shards' result files (.json).", completion: .file(extensions: ["json"]))
    var shards: [String]

    @Option(name: .customLong("out"), help: "The merged result file to write.")
    var output: String

    @Flag(inversion: .prefixedNo, help: "Also write the merged run in Go benchmark format (.txt beside --out).")
    var benchfmt = true

    func run() throws {
        var inputs: [RunMerge.Input] = []
        do {
            for file in shards { inputs.append(RunMerge.Input(file: file, run: try RunResultCodec.read(path: file))) }
        } catch {
            FileHandle.standardError.write(Data("surge merge: \(error)\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        let merged: RunResult
        do {
            merged = try RunMerge.merge(inputs)
        } catch {
            FileHandle.standardError.write(Data("surge merge: \(error)\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        do {
            try RunResultCodec.write(merged, path: output)
            if benchfmt {
                let txt = (output as NSString).deletingPathExtension + ".txt"
                try AtomicFile.write(Data(BenchFmtWriter.write(merged).utf8), to: txt)
            }
        } catch {
            FileHandle.standardError.write(Data("surge merge: \(error)\n".utf8))
            throw SurgeExitCode.badInput.exitCode
        }
        let samples = merged.cells.reduce(0) { $0 + $1.samples.count }
        print("merged \(inputs.count) shards: \(merged.cells.count) cells, \(samples) samples → \(output)")
        for note in merged.notes where note.hasPrefix("merged from") { print("note: \(note)") }
    }
}
