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
        /// Number of results read (also when they were streamed rather than kept).
        public var recordCount: Int
        /// Size of the input in bytes.
        public var byteCount: Int = 0
        /// Lines that were not benchmark format, as `file:line: message` (the first few).
        public var firstSyntaxError: String? = nil
    }

    public var inputs: [Input] = []
    /// Malformed lines, in reading order (`file:line: message`), skipped like benchstat does.
    public var syntaxErrors: [BenchSyntaxError] = []
    public var unitMetadata = BenchUnitMetadata()

    public var hasSurgeResults: Bool { inputs.contains { $0.run != nil } }
    public var runs: [RunResult] { inputs.compactMap(\.run) }

    public init() {}

    /// Reads every input, keeping all records.
    public static func read(_ arguments: [String]) throws -> CompareInputs {
        try read(arguments, streamingTo: nil)
    }

    /// Reads every input; with `sink`, Go-format results are streamed to it instead of kept (their
    /// `Input.records` stay empty, `recordCounts` says how many there were). Surge results are kept.
    public static func read(_ arguments: [String], streamingTo sink: ((BenchRecord) -> Void)?) throws -> CompareInputs {
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
        var labelled: [(label: String, path: String)] = []
        for (explicitLabel, path) in parsed {
            var label = explicitLabel ?? path
            if explicitLabel == nil, (unlabelledCount[path] ?? 0) > 1 {
                label = "\(path)#\(occurrence[path, default: 0])"
                occurrence[path, default: 0] += 1
            }
            labelled.append((label, path))
        }
        let ahead = ReadAhead(labelled, from: 1)
        for (i, (label, path)) in labelled.enumerated() {
            var records: [BenchRecord] = []
            var errors: [BenchSyntaxError]
            var count = 0
            var byteCount = 0
            var json: Data?
            if !ahead.readsAhead(i) {
                let data: Data
                if path == "-" {
                    data = FileHandle.standardInput.readDataToEndOfFile()
                } else {
                    do {
                        data = try BenchFmtReader.readAll(path: path)
                    } catch {
                        throw CompareInputError("\(error)")
                    }
                }
                byteCount = data.count
                if Self.looksLikeJSON(data) {
                    json = data
                    errors = []
                } else if let sink {
                    errors = reader.parse(data, label: label) { record in
                        count += 1
                        sink(record)
                    }
                } else {
                    let file = reader.parse(data, label: label)
                    (records, errors, count) = (file.records, file.errors, file.records.count)
                }
            } else {
                // Records arrive in chunks while the file is still being parsed, the file's end last.
                var end: ReadAhead.Parsed?
                while end == nil {
                    switch ahead.next(i) {
                    case .records(let chunk):
                        count += chunk.count
                        if let sink { chunk.forEach(sink) } else { records += chunk }
                    case .end(let parsed):
                        end = parsed
                    }
                }
                let parsed = end!
                if let failure = parsed.failure { throw CompareInputError(failure) }
                byteCount = parsed.byteCount
                json = parsed.json
                errors = parsed.errors
                if json == nil { reader.replayUnitLines(of: parsed.reader, label: label, into: &errors) }
            }
            if let json {
                let run: RunResult
                do {
                    run = try RunResultCodec.decode(json, path: path)
                } catch {
                    throw CompareInputError("\(error)")
                }
                let records = RunResultRecords.records(run, label: label)
                if let sink { records.forEach(sink) }
                result.inputs.append(Input(label: label, path: path, run: run, records: records, recordCount: records.count,
                                           byteCount: byteCount))
                continue
            }
            result.syntaxErrors += errors
            result.inputs.append(Input(label: label, path: path, run: nil, records: records,
                                       recordCount: count, byteCount: byteCount,
                                       firstSyntaxError: errors.first?.description))
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

extension CompareInputs {
    /// Refuses inputs that hold nothing to compare: an empty file, text without a single benchmark
    /// line, a result file without a measured sample. Each error names the file.
    public func checkEveryInputHasResults() throws(CompareInputError) {
        for input in inputs where input.recordCount == 0 {
            let name = input.path == "-" ? "standard input" : input.path
            if let run = input.run {
                let ok = run.cells.filter { $0.status == .ok }.count
                if run.cells.isEmpty {
                    throw CompareInputError("\(name): the result file holds no cells (run \(run.runID), status \(run.status.rawValue))")
                }
                throw CompareInputError("\(name): no measured samples: \(ok) of \(run.cells.count) cells have status ok, "
                                        + "and none has a sample (run \(run.runID), status \(run.status.rawValue))")
            }
            if input.byteCount == 0 {
                throw CompareInputError("\(name): empty file")
            }
            var text = "\(name): no benchmark results: neither a Surge result file (JSON) nor Go benchmark format"
            if let first = input.firstSyntaxError { text += " (first problem: \(first))" }
            throw CompareInputError(text)
        }
    }
}
