import Foundation
import SurgeResults

/// Why inputs could not be read (exit status 1).
public struct CompareInputError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The inputs of one comparison, read in argument order: Go benchmark-format text files and Surge
/// result files (`surge.run/v1` JSON), mixed freely. Arguments are paths or `label=path` (the
/// label becomes `.file`; a path given twice is labelled `path#0`, `path#1`, like benchstat).
public struct CompareInputs: Sendable {
    public struct Input: Sendable {
        public var label: String
        public var path: String
        /// Set for Surge result files.
        public var run: RunResult?
        public var records: [BenchRecord]
    }

    public var inputs: [Input] = []
    /// Malformed lines, in reading order (`file:line: message`), skipped like benchstat does.
    public var syntaxErrors: [BenchSyntaxError] = []
    public var unitMetadata = BenchUnitMetadata()

    public var hasSurgeResults: Bool { inputs.contains { $0.run != nil } }
    public var runs: [RunResult] { inputs.compactMap(\.run) }

    public init() {}

    public static func read(_ arguments: [String]) throws -> CompareInputs {
        var result = CompareInputs()
        var reader = BenchFmtReader()
        let parsed: [(label: String?, path: String)] = arguments.map { arg in
            if let eq = arg.firstIndex(of: "=") {
                return (String(arg[..<eq]), String(arg[arg.index(after: eq)...]))
            }
            return (nil, arg)
        }
        var unlabelledCount: [String: Int] = [:]
        for p in parsed where p.label == nil { unlabelledCount[p.path, default: 0] += 1 }
        var occurrence: [String: Int] = [:]
        for (explicitLabel, path) in parsed {
            var label = explicitLabel ?? path
            if explicitLabel == nil, (unlabelledCount[path] ?? 0) > 1 {
                label = "\(path)#\(occurrence[path, default: 0])"
                occurrence[path, default: 0] += 1
            }
            let data: Data
            if path == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                do {
                    data = try Data(contentsOf: URL(fileURLWithPath: path))
                } catch {
                    throw CompareInputError("\(path): cannot read: \((error as NSError).localizedDescription)")
                }
            }
            if Self.looksLikeJSON(data) {
                let run: RunResult
                do {
                    run = try RunResultCodec.decode(data, path: path)
                } catch {
                    throw CompareInputError("\(error)")
                }
                result.inputs.append(Input(label: label, path: path, run: run, records: RunResultRecords.records(run, label: label)))
            } else {
                let file = reader.parse(data, label: label)
                result.syntaxErrors += file.errors
                result.inputs.append(Input(label: label, path: path, run: nil, records: file.records))
            }
        }
        result.unitMetadata = reader.unitMetadata
        return result
    }

    static func looksLikeJSON(_ data: Data) -> Bool {
        for byte in data {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { continue }
            return byte == UInt8(ascii: "{")
        }
        return false
    }
}
