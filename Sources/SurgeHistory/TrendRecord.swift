import Foundation
import SurgeResults

/// A stored run reduced to what a trend report reads, in a compact binary form kept beside the
/// run's JSON (table `trend_records`). A weekly report over a year of daily runs of a 50-cell
/// scenario would otherwise decode 37 MB of JSON; its records add about 4.5 MB to the SQLite file and
/// decode without a JSON parser for the cells.
///
/// What is kept: the run's envelope (id, times, status, scenario, source, host, target, notes, probe
/// methods: everything but the cells, as JSON) and, per cell, its name, parameters, status, reason,
/// target stderr, probe methods, key metrics, workload kind, offered rate and every sample's
/// repetition, pass, operations, elapsed time, metrics and target counters. What is left out:
/// latency histograms, stack profile references, a cell's own host, visits and process ids.
/// `reduce` gives the same reduction of a whole run, so a run stored before trend records existed
/// reads the same as one stored after.
///
/// Layout (integers are unsigned LEB128 varints; strings are an index into the string table):
/// `magic`, envelope length and JSON, string count and strings (length and UTF-8), cell count,
/// then per cell the fields in the order of `writeCell`. An optional value is a presence byte
/// (0 or 1) and the value; a dictionary is a count and key/value pairs, sorted by key.
public enum TrendRecord {
    static let magic = Array("surge.trend/v1\n".utf8)

    /// `run` without what a trend report does not read (see the type's documentation).
    public static func reduce(_ run: RunResult) -> RunResult {
        var out = run
        out.cells = run.cells.map { cell in
            var c = cell
            c.host = nil
            c.profiles = nil
            c.samples = cell.samples.map { s in
                Sample(repetition: s.repetition, pass: s.pass, operations: s.operations,
                       elapsedSeconds: s.elapsedSeconds, metrics: s.metrics, targetCounters: s.targetCounters)
            }
            return c
        }
        return out
    }

    /// The record of `run` (its `reduce`d form).
    public static func encode(_ run: RunResult) throws -> Data {
        var envelope = run
        envelope.cells = []
        let json = try RunResultCodec.encode(envelope)
        var strings = StringTable()
        var body = ByteWriter()
        body.varint(run.cells.count)
        for cell in run.cells { writeCell(cell, to: &body, strings: &strings) }
        var out = ByteWriter()
        out.bytes.append(contentsOf: magic)
        out.varint(json.count)
        out.bytes.append(contentsOf: json)
        out.varint(strings.values.count)
        for s in strings.values {
            let utf8 = Array(s.utf8)
            out.varint(utf8.count)
            out.bytes.append(contentsOf: utf8)
        }
        out.bytes.append(contentsOf: body.bytes)
        return Data(out.bytes)
    }

    /// The run a record holds; `what` names it in errors (`history.sqlite run 20261126T104600Z-smoke`).
    public static func decode(_ data: Data, what: String) throws(TrendRecordError) -> RunResult {
        var reader = ByteReader(Array(data), what: what)
        guard reader.bytes.starts(with: magic) else {
            throw TrendRecordError(what: what, offset: 0, reason: "not a trend record (no surge.trend/v1 magic)")
        }
        reader.offset = magic.count
        let jsonCount = try reader.varint()
        let json = try reader.take(jsonCount)
        var run: RunResult
        do {
            run = try RunResultCodec.decode(Data(json), path: what)
        } catch {
            throw TrendRecordError(what: what, offset: magic.count, reason: "its run envelope: \(error)")
        }
        let stringCount = try reader.varint()
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount {
            let start = reader.offset
            guard let s = String(validating: try reader.take(try reader.varint()), as: UTF8.self) else {
                throw TrendRecordError(what: what, offset: start, reason: "a string that is not UTF-8")
            }
            strings.append(s)
        }
        reader.strings = strings
        let cellCount = try reader.varint()
        run.cells.reserveCapacity(cellCount)
        for _ in 0..<cellCount { run.cells.append(try readCell(&reader)) }
        guard reader.offset == reader.bytes.count else {
            throw TrendRecordError(what: what, offset: reader.offset, reason: "bytes after the last cell")
        }
        return run
    }

    private static func writeCell(_ cell: CellResult, to w: inout ByteWriter, strings: inout StringTable) {
        w.varint(strings.index(cell.name))
        w.varint(cell.parameters.count)
        for p in cell.parameters {
            w.varint(strings.index(p.name))
            w.varint(strings.index(p.value))
        }
        w.varint(strings.index(cell.status.rawValue))
        if let reason = w.presence(cell.reason) { w.varint(strings.index(reason)) }
        if let lines = w.presence(cell.targetStderr) {
            w.varint(lines.count)
            for line in lines { w.varint(strings.index(line)) }
        }
        if let methods = w.presence(cell.probeMethods) { w.stringMap(methods, strings: &strings) }
        if let key = w.presence(cell.keyMetrics) { w.stringMap(key, strings: &strings) }
        if let kind = w.presence(cell.workloadKind) { w.varint(strings.index(kind)) }
        if let rate = w.presence(cell.offeredRate) { w.double(rate) }
        w.varint(cell.samples.count)
        for s in cell.samples {
            w.signed(s.repetition)
            w.varint(strings.index(s.pass))
            w.signed(s.operations)
            w.double(s.elapsedSeconds)
            w.doubleMap(s.metrics, strings: &strings)
            if let counters = w.presence(s.targetCounters) { w.doubleMap(counters, strings: &strings) }
        }
    }

    private static func readCell(_ r: inout ByteReader) throws(TrendRecordError) -> CellResult {
        let name = try r.string()
        var parameters: [CellParameter] = []
        for _ in 0..<(try r.varint()) { parameters.append(CellParameter(name: try r.string(), value: try r.string())) }
        let statusAt = r.offset
        let statusText = try r.string()
        guard let status = CellStatus(rawValue: statusText) else {
            throw r.error(at: statusAt, "cell status '\(statusText)' is not ok, failed or skipped")
        }
        var cell = CellResult(name: name, parameters: parameters, status: status)
        if try r.present() { cell.reason = try r.string() }
        if try r.present() {
            var lines: [String] = []
            for _ in 0..<(try r.varint()) { lines.append(try r.string()) }
            cell.targetStderr = lines
        }
        if try r.present() { cell.probeMethods = try r.stringMap() }
        if try r.present() { cell.keyMetrics = try r.stringMap() }
        if try r.present() { cell.workloadKind = try r.string() }
        if try r.present() { cell.offeredRate = try r.double() }
        let count = try r.varint()
        cell.samples.reserveCapacity(count)
        for _ in 0..<count {
            let repetition = try r.signed()
            let pass = try r.string()
            let operations = try r.signed()
            let elapsed = try r.double()
            let metrics = try r.doubleMap()
            let counters = try r.present() ? try r.doubleMap() : nil
            cell.samples.append(Sample(repetition: repetition, pass: pass, operations: operations,
                                       elapsedSeconds: elapsed, metrics: metrics, targetCounters: counters))
        }
        return cell
    }
}

/// A trend record that does not read back: which run, at which byte, and what was wrong.
public struct TrendRecordError: Error, CustomStringConvertible, Sendable, Equatable {
    public var what: String
    public var offset: Int
    public var reason: String

    public var description: String { "\(what): trend record byte \(offset): \(reason)" }
}
