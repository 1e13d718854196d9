import Foundation

/// How a run ordered its visits to cells: `sequential`, `interleaved`, `random` (with its seed) or
/// `ab` rounds, and whether each visit started a fresh target.
public struct ScheduleRecord: Codable, Sendable, Equatable {
    /// `sequential`, `interleaved`, `random`, `abba` or `ab-random`.
    public var order: String
    /// The seed of a shuffled order.
    public var seed: UInt64?
    /// `visit` (fresh target per visit) or `run` (one target per cell).
    public var targetLifetime: String

    public init(order: String, seed: UInt64? = nil, targetLifetime: String) {
        self.order = order
        self.seed = seed
        self.targetLifetime = targetLifetime
    }
}

/// Links the two result files of one `surge ab`: sample `repetition` k of a cell in A is paired with
/// repetition k of the same cell in B (one round), and `rounds` says in which order they ran.
public struct ABRecord: Codable, Sendable, Equatable {
    /// `A` or `B`.
    public var side: String
    /// What each side was, as given (`target:surge-broker`, `rev:main`, `cmd:nats-server ...`).
    public var a: String
    public var b: String
    /// The other side's result file (as written, relative to the working directory).
    public var otherFile: String
    /// The other side's run id.
    public var otherRunID: String
    /// `abba` or `random`.
    public var order: String
    public var seed: UInt64?
    /// Per cell name: each round's order, `AB` or `BA`, round 1 first.
    public var rounds: [String: [String]]
    /// Revisions built for `rev:` sides (full commit ids), by side.
    public var commits: [String: String]?

    public init(
        side: String, a: String, b: String, otherFile: String, otherRunID: String, order: String, seed: UInt64?,
        rounds: [String: [String]], commits: [String: String]? = nil
    ) {
        self.side = side
        self.a = a
        self.b = b
        self.otherFile = otherFile
        self.otherRunID = otherRunID
        self.order = order
        self.seed = seed
        self.rounds = rounds
        self.commits = commits
    }
}
