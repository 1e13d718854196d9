import Foundation
import SurgeResults
import SurgeRunner
import SurgeScenario
import XCTest

/// Orders are data: the schedule lists the visits, the runner makes them in that order.
final class RunScheduleTests: XCTestCase {
    func testOrdersListTheDocumentedVisits() {
        let seq = RunSchedule.visits(cells: 2, repetitions: 3, order: .sequential, seed: 1).map {
            [$0.cell, $0.repetition]
        }
        XCTAssertEqual(seq, [[0, 1], [0, 2], [0, 3], [1, 1], [1, 2], [1, 3]])
        let inter = RunSchedule.visits(cells: 2, repetitions: 3, order: .interleaved, seed: 1).map {
            [$0.cell, $0.repetition]
        }
        XCTAssertEqual(inter, [[0, 1], [1, 1], [0, 2], [1, 2], [0, 3], [1, 3]])
        let random = RunSchedule.visits(cells: 3, repetitions: 4, order: .random, seed: 42)
        XCTAssertEqual(
            random, RunSchedule.visits(cells: 3, repetitions: 4, order: .random, seed: 42), "one seed, one order")
        XCTAssertNotEqual(random, RunSchedule.visits(cells: 3, repetitions: 4, order: .random, seed: 43))
        XCTAssertEqual(Set(random.map { [$0.cell, $0.repetition] }).count, 12, "every visit once")
        for c in 0..<3 {
            XCTAssertEqual(
                random.filter { $0.cell == c }.map(\.repetition), [1, 2, 3, 4],
                "repetitions numbered in the order measured")
        }
    }

    func testABRoundsAlternateABBAAndKeepEarlierRoundsWhenMoreAreAdded() {
        let rounds = RunSchedule.abRounds(cells: [0, 1], rounds: 1...4, order: .abba, seed: 0)
        XCTAssertEqual(
            rounds.map { [$0.repetition, $0.cell, $0.side] },
            [
                [1, 0, 0], [1, 0, 1], [1, 1, 0], [1, 1, 1],
                [2, 0, 1], [2, 0, 0], [2, 1, 1], [2, 1, 0],
                [3, 0, 0], [3, 0, 1], [3, 1, 0], [3, 1, 1],
                [4, 0, 1], [4, 0, 0], [4, 1, 1], [4, 1, 0],
            ])
        let all = RunSchedule.abRounds(cells: [0], rounds: 1...20, order: .random, seed: 7)
        let later = RunSchedule.abRounds(cells: [0], rounds: 11...20, order: .random, seed: 7)
        XCTAssertEqual(Array(all.suffix(20)), later, "a round's order depends on seed, cell and round only")
        let firsts = stride(from: 0, to: all.count, by: 2).map { all[$0].side }
        XCTAssertTrue(firsts.contains(0) && firsts.contains(1), "random order puts either side first: \(firsts)")
    }

    /// `order: interleaved`: repetition 1 of every cell, then repetition 2; each visit a fresh target.
    func testInterleavedRunVisitsCellsInTheDocumentedOrderWithFreshTargets() async throws {
        let (runner, result) = try await RunnerTestSupport.run(
            """
            name: interleaved
            target: { component: broker, options: { flush: "{flush}" } }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 16, messages: 2000 }
            matrix: { flush: [immediate, batched, read] }
            order: interleaved
            warmup: 0s
            repetitions: 2
            """)
        XCTAssertEqual(result.status, .complete)
        XCTAssertEqual(result.schedule, ScheduleRecord(order: "interleaved", targetLifetime: "visit"))
        for cell in result.cells { XCTAssertEqual(cell.status, .ok, cell.reason ?? "") }
        let visits = result.cells.map { $0.samples.map { $0.visit ?? 0 } }
        XCTAssertEqual(visits, [[1, 4], [2, 5], [3, 6]], "repetition k of every cell before repetition k+1")
        let pids = result.cells.flatMap { $0.samples.compactMap { $0.processIDs?.first } }
        XCTAssertEqual(pids.count, 6)
        XCTAssertEqual(Set(pids).count, 6, "a freshly started target for every visit: \(pids)")
        XCTAssertEqual(try RunResultCodec.read(path: runner.resultPath).cells, result.cells)
    }

    func testTargetLifetimeRunKeepsOneTargetPerCellAcrossInterleavedVisits() async throws {
        let (_, result) = try await RunnerTestSupport.run(
            """
            name: kept
            target: { component: broker, options: { flush: "{flush}" } }
            workload: { kind: nats.pubsub, publishers: 1, subscribers: 1, payload: 16, messages: 2000 }
            matrix: { flush: [immediate, batched] }
            order: interleaved
            target-lifetime: run
            warmup: 0s
            repetitions: 3
            """)
        XCTAssertEqual(result.cells.map { $0.samples.map { $0.visit ?? 0 } }, [[1, 3, 5], [2, 4, 6]])
        for cell in result.cells {
            XCTAssertEqual(cell.status, .ok, cell.reason ?? "")
            XCTAssertEqual(
                Set(cell.samples.compactMap { $0.processIDs?.first }).count, 1, "one target kept for the cell")
        }
        XCTAssertNotEqual(result.cells[0].samples[0].processIDs, result.cells[1].samples[0].processIDs)
    }
}
