import SurgeScenario
import SurgeStats

/// One measurement the runner makes: repetition `repetition` of cell `cell` of side `side`.
///
/// A plain run has one side (0). `surge ab` has two, A (0) and B (1), and a repetition is a round:
/// repetition k of a cell on A is paired with repetition k of the same cell on B.
public struct Visit: Sendable, Hashable, CustomStringConvertible {
    public var cell: Int
    public var repetition: Int
    public var side: Int

    public init(cell: Int, repetition: Int, side: Int = 0) {
        self.cell = cell
        self.repetition = repetition
        self.side = side
    }

    public var description: String { "side \(side) cell \(cell) rep \(repetition)" }
}

/// How the rounds of `surge ab` order A and B.
public enum ABOrder: String, Sendable, CaseIterable {
    /// Round 1 A then B, round 2 B then A, and so on: a linear drift cancels over two rounds.
    case abba
    /// Each round's order drawn from the seed.
    case random
}

/// The order of visits: the runner executes whatever list this plans, so orders are data, not loops.
///
/// - sequential: every repetition of cell 1, then cell 2, ...
/// - interleaved: repetition 1 of every cell, then repetition 2, ...
/// - random: every (cell, repetition) shuffled with SplitMix64 from `seed` (recorded in the result).
/// - A/B rounds: round k of every cell, then round k+1; in each round A and B of a cell run back to
///   back, in the order `ABOrder` gives.
public enum RunSchedule {
    public static func visits(cells: Int, repetitions: Int, order: RunOrder, seed: UInt64) -> [Visit] {
        guard cells > 0, repetitions > 0 else { return [] }
        switch order {
        case .sequential:
            return (0..<cells).flatMap { c in (1...repetitions).map { Visit(cell: c, repetition: $0) } }
        case .interleaved:
            return (1...repetitions).flatMap { r in (0..<cells).map { Visit(cell: $0, repetition: r) } }
        case .random:
            var all = (0..<cells).flatMap { c in (1...repetitions).map { Visit(cell: c, repetition: $0) } }
            var rng = SplitMix64(seed: seed)
            all.shuffle(using: &rng)
            // Repetition numbers follow the order they are measured in, per cell.
            var next = [Int](repeating: 1, count: cells)
            for i in all.indices {
                all[i].repetition = next[all[i].cell]
                next[all[i].cell] += 1
            }
            return all
        }
    }

    /// Rounds `rounds` of cells `cells` (indices), A and B in each.
    public static func abRounds(cells: [Int], rounds: ClosedRange<Int>, order: ABOrder, seed: UInt64) -> [Visit] {
        rounds.flatMap { round in
            cells.flatMap { cell -> [Visit] in
                let first = firstSide(cell: cell, round: round, order: order, seed: seed)
                return [
                    Visit(cell: cell, repetition: round, side: first),
                    Visit(cell: cell, repetition: round, side: 1 - first),
                ]
            }
        }
    }

    /// Which side runs first in `round` of `cell`: 0 (A) or 1 (B). For `random` it depends only on the
    /// seed, the cell and the round, so adding rounds later (`--until-decided`) keeps the earlier ones.
    public static func firstSide(cell: Int, round: Int, order: ABOrder, seed: UInt64) -> Int {
        switch order {
        case .abba: return round % 2 == 1 ? 0 : 1
        case .random:
            var rng = SplitMix64(seed: seed ^ (UInt64(cell) &* 0x9e37_79b9) ^ (UInt64(round) << 32))
            return Int(rng.next() >> 63)
        }
    }

    /// `AB` or `BA` for one round.
    public static func roundText(cell: Int, round: Int, order: ABOrder, seed: UInt64) -> String {
        firstSide(cell: cell, round: round, order: order, seed: seed) == 0 ? "AB" : "BA"
    }
}
