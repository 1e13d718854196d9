import Foundation
import SurgeHistory
import SurgeResults
import XCTest

/// The run history: a real SQLite file on disk, real `surge history add` processes appending at once.
final class HistoryStoreTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("surge-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    static func run(id: String, scenario: String = "smoke", at time: TimeInterval, commit: String, msgs: Double) -> RunResult {
        var run = RunResult(
            runID: id, startedAt: Date(timeIntervalSince1970: time),
            scenario: ScenarioInfo(name: scenario, file: "Scenarios/\(scenario).yaml", sha256: "ab12", thresholds: ["msgs/s": "3%"]),
            source: SourceInfo(commit: commit, dirty: false),
            host: HostInfo(hostname: "h", cpuModel: "cpu", cores: 2, kernel: "6.1", loadAverage: [0.1, 0.2, 0.3], surgeVersion: "0.1.0", buildConfig: "release"),
            target: TargetInfo(kind: "component", component: "broker"))
        run.status = .complete
        run.finishedAt = Date(timeIntervalSince1970: time + 30)
        run.cells = [
            CellResult(name: "BenchmarkSmoke/flush=batched", parameters: [CellParameter(name: "flush", value: "batched")],
                       samples: (1...3).map { Sample(repetition: $0, operations: 1000, elapsedSeconds: 0.01, metrics: ["msgs/s": msgs + Double($0)]) }),
            CellResult(name: "BenchmarkSmoke/flush=immediate", parameters: [CellParameter(name: "flush", value: "immediate")], status: .failed, reason: "target exited with status 1"),
        ]
        return run
    }

    func testRoundTripKeepsTheWholeRunAndItsColumns() throws {
        let path = dir.appendingPathComponent("h.sqlite").path
        let store = try SQLiteHistory(path: path)
        let a = Self.run(id: "r1", at: 1_790_000_000, commit: "aaaa", msgs: 100)
        let b = Self.run(id: "r2", scenario: "fanout", at: 1_790_000_100, commit: "bbbb", msgs: 200)
        XCTAssertEqual(try store.add(b, sourcePath: "runs/r2.json"), .added)
        XCTAssertEqual(try store.add(a, sourcePath: "runs/r1.json"), .added)

        let reopened = try SQLiteHistory(path: path)
        XCTAssertEqual(try reopened.runs(), [a, b], "runs come back whole, oldest first")
        let entries = try reopened.list()
        XCTAssertEqual(entries.map(\.runID), ["r1", "r2"])
        XCTAssertEqual(entries[0].commit, "aaaa")
        XCTAssertEqual(entries[0].fingerprint, a.host.fingerprint)
        XCTAssertEqual(entries[0].startedAt, a.startedAt)
        XCTAssertEqual(entries[0].cellsOK, 1)
        XCTAssertEqual(entries[0].cellsFailed, 1)
        XCTAssertEqual(entries[0].sourcePath, "runs/r1.json")
        XCTAssertEqual(try reopened.list(scenario: "fanout").map(\.runID), ["r2"])
        XCTAssertEqual(try reopened.list(since: Date(timeIntervalSince1970: 1_790_000_050)).map(\.runID), ["r2"])
    }

    func testAddingARunAgainLeavesTheStoredOneUntouched() throws {
        let path = dir.appendingPathComponent("h.sqlite").path
        let store = try SQLiteHistory(path: path)
        let original = Self.run(id: "r1", at: 1_790_000_000, commit: "aaaa", msgs: 100)
        XCTAssertEqual(try store.add(original), .added)
        var changed = original
        changed.cells[0].samples[0].metrics["msgs/s"] = 1
        XCTAssertEqual(try store.add(changed), .alreadyPresent)
        XCTAssertEqual(try store.runs(), [original])
    }

    func testRowsCannotBeRewrittenInPlace() throws {
        let path = dir.appendingPathComponent("h.sqlite").path
        try SQLiteHistory(path: path).add(Self.run(id: "r1", at: 1_790_000_000, commit: "aaaa", msgs: 100))
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else { throw XCTSkip("sqlite3 command-line tool not installed (Debian package sqlite3)") }
        sqlite.arguments = [path, "UPDATE runs SET source_commit = 'x'"]
        let err = Pipe()
        sqlite.standardError = err
        try sqlite.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sqlite.waitUntilExit()
        XCTAssertNotEqual(sqlite.terminationStatus, 0)
        XCTAssertTrue(message.contains("append-only"), message)
        XCTAssertEqual(try SQLiteHistory(path: path).list().first?.commit, "aaaa")
    }

    func testCorruptDatabaseIsAClearError() throws {
        let path = dir.appendingPathComponent("bad.sqlite").path
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SQLiteHistory(path: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("\(path): the run history is damaged or not an SQLite database"), text)
            XCTAssertTrue(text.contains("file is not a database"), text)
        }
    }

    func testTruncatedDatabaseIsAClearError() throws {
        let path = dir.appendingPathComponent("cut.sqlite").path
        let store = try SQLiteHistory(path: path)
        for i in 0..<20 { try store.add(Self.run(id: "r\(i)", at: 1_790_000_000 + Double(i), commit: "c\(i)", msgs: 100)) }
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        let walPath = path + "-wal"
        // Damage the main file's pages past the header (and drop the WAL so SQLite must read them).
        var damaged = full
        if damaged.count > 4096 { damaged.replaceSubrange(4096..<damaged.count, with: Data(repeating: 0xFF, count: damaged.count - 4096)) }
        try? FileManager.default.removeItem(atPath: walPath)
        try? FileManager.default.removeItem(atPath: path + "-shm")
        try damaged.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SQLiteHistory(path: path).runs()) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ":"), "\(error)")
        }
    }

    func testAnotherProgramsDatabaseIsRefused() throws {
        let path = dir.appendingPathComponent("other.sqlite").path
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else { throw XCTSkip("sqlite3 command-line tool not installed (Debian package sqlite3)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, "CREATE TABLE invoices (id INTEGER)"]
        try p.run()
        p.waitUntilExit()
        XCTAssertThrowsError(try SQLiteHistory(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): not a Surge run history: it is an SQLite database with other tables (invoices) and no surge_history table")
        }
    }

    func testLookbackPeriods() {
        XCTAssertEqual(LookbackPeriod.seconds("30d"), 30 * 86400)
        XCTAssertEqual(LookbackPeriod.seconds("12h"), 12 * 3600)
        XCTAssertEqual(LookbackPeriod.seconds("2w"), 14 * 86400)
        XCTAssertNil(LookbackPeriod.seconds("30"))
        XCTAssertNil(LookbackPeriod.seconds("d"))
    }

    /// Two `surge history add` processes appending 25 runs each at the same time: all 50 arrive.
    func testConcurrentAppendsFromTwoProcesses() throws {
        guard let surge = Self.surgeExecutable else { throw XCTSkip("the surge executable is not built next to the tests; run `swift build` first") }
        let db = dir.appendingPathComponent("shared.sqlite").path
        var processes: [(Process, Pipe)] = []
        for worker in 0..<2 {
            var files: [String] = []
            for i in 0..<25 {
                let path = dir.appendingPathComponent("w\(worker)-\(i).json").path
                try RunResultCodec.write(Self.run(id: "w\(worker)-\(i)", at: 1_790_000_000 + Double(worker * 100 + i), commit: "c\(i)", msgs: 100), path: path)
                files.append(path)
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: surge)
            // One process per file batch, each add its own transaction: the two interleave on the lock.
            p.arguments = ["history", "add", "--db", db] + files
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            processes.append((p, err))
        }
        for (p, _) in processes { try p.run() }
        for (p, err) in processes {
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, message)
        }
        let entries = try SQLiteHistory(path: db).list()
        XCTAssertEqual(entries.count, 50)
        XCTAssertEqual(Set(entries.map(\.runID)).count, 50)
        // SQLite's file header, bytes 18 and 19: 2 and 2 mean WAL.
        let header = try Data(contentsOf: URL(fileURLWithPath: db)).prefix(20)
        XCTAssertEqual([header[18], header[19]], [2, 2], "the history is in WAL mode")
    }

    static var surgeExecutable: String? {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: me).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("surge").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }
}
