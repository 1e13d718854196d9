import Foundation
import XCTest
@testable import SurgeCompare
import SurgeResults

/// `CompareInputs.read` parses the files after the first on another thread (`ReadAhead`); what it
/// returns must be what one reader reading the files one after another returns: the same records in
/// the same order, and unit metadata shared across files, with a conflict reported in the file and
/// at the place where it is met, among that file's other errors.
final class ReadAheadTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "surge-readahead-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = "\(directory)/\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Files whose `Unit` lines and malformed lines interleave: the second file sets a key the first
    /// set differently (a conflict only a reader that has read the first file can see), between two
    /// malformed lines; the third repeats a setting (no error) and conflicts with itself.
    private func inputs() throws -> [String] {
        // More results than one hand-over chunk, so records arrive in several pieces.
        let many = (0..<(ReadAhead.chunkSize + 300)).map { "BenchmarkMany/i=\($0 % 7) 1 \($0) ns/op" }
        let first = try write("a.txt", """
            goos: linux
            Unit ns/op assume=exact owner=a
            BenchmarkA 1 10 ns/op
            BenchmarkA 1 11 ns/op
            """ + "\n")
        let second = try write("b.txt", """
            goos: darwin
            BenchmarkA 1 abc ns/op
            Unit ns/op owner=b bad assume=exact
            BenchmarkA 1
            Unit B/op assume=exact
            """ + "\n" + many.joined(separator: "\n") + "\n")
        let third = try write("c.txt", """
            Unit B/op assume=exact
            BenchmarkA 1 12 ns/op 3 B/op
            Unit B/op assume=inexact
            BenchmarkB 1 1 B/op
            """ + "\n")
        return [first, second, third]
    }

    private func sequential(_ paths: [String]) throws
        -> (records: [BenchRecord], errors: [String], metadata: BenchUnitMetadata)
    {
        var reader = BenchFmtReader()
        var records: [BenchRecord] = []
        var errors: [String] = []
        for path in paths {
            let file = try reader.read(path: path)
            records += file.records
            errors += file.errors.map(\.description)
        }
        return (records, errors, reader.unitMetadata)
    }

    private func describe(_ r: BenchRecord) -> String {
        "\(r.file):\(r.line) \(r.name) \(r.iterations) \(r.values.map { "\($0.value) \($0.unit)" }) "
            + r.config.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    func testReadingAheadGivesWhatOneReaderReadingInOrderGives() throws {
        let paths = try inputs()
        let expected = try sequential(paths)
        // The conflicts are there to be reproduced: without them the test could pass vacuously.
        XCTAssertEqual(expected.errors, [
            "\(paths[1]):2: parsing measurement: invalid syntax",
            "\(paths[1]):3: metadata owner of unit ns/op already set to a",
            "\(paths[1]):3: expected key=value",
            "\(paths[1]):4: missing measurements",
            "\(paths[2]):3: metadata assume of unit B/op already set to exact",
        ])

        let kept = try CompareInputs.read(paths)
        XCTAssertEqual(kept.syntaxErrors.map(\.description), expected.errors)
        XCTAssertEqual(kept.inputs.flatMap(\.records).map(describe), expected.records.map(describe))
        XCTAssertEqual(kept.inputs.map(\.recordCount), [2, ReadAhead.chunkSize + 300, 2])
        XCTAssertEqual(kept.unitMetadata.entries, expected.metadata.entries)

        var streamed: [BenchRecord] = []
        let read = try CompareInputs.read(paths, streamingTo: { streamed.append($0) })
        XCTAssertEqual(streamed.map(describe), expected.records.map(describe))
        XCTAssertEqual(read.syntaxErrors.map(\.description), expected.errors)
        XCTAssertEqual(read.unitMetadata.entries, expected.metadata.entries)
        XCTAssertTrue(read.inputs.allSatisfy { $0.records.isEmpty })
        XCTAssertEqual(read.inputs.map(\.recordCount), [2, ReadAhead.chunkSize + 300, 2])
    }

    /// A file that cannot be read is reported by name, after the files before it were read.
    func testAnUnreadableLaterFileIsReportedByName() throws {
        let paths = try inputs()
        let missing = "\(directory)/missing.txt"
        XCTAssertThrowsError(try CompareInputs.read([paths[0], missing], streamingTo: { _ in })) { error in
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
    }
}
