import Foundation

/// One stored run as `surge history list` shows it: the columns beside the stored JSON.
public struct HistoryEntry: Sendable, Equatable {
    public var seq: Int64
    public var runID: String
    public var scenario: String
    public var scenarioSHA256: String
    public var startedAt: Date
    public var status: String
    public var commit: String?
    public var dirty: Bool?
    public var fingerprint: String
    public var hostname: String
    public var cellsOK: Int
    public var cellsFailed: Int
    public var cellsSkipped: Int
    public var sourcePath: String?
    public var addedAt: Date

    public init(
        seq: Int64, runID: String, scenario: String, scenarioSHA256: String, startedAt: Date, status: String,
        commit: String?, dirty: Bool?, fingerprint: String, hostname: String, cellsOK: Int, cellsFailed: Int,
        cellsSkipped: Int, sourcePath: String?, addedAt: Date
    ) {
        self.seq = seq
        self.runID = runID
        self.scenario = scenario
        self.scenarioSHA256 = scenarioSHA256
        self.startedAt = startedAt
        self.status = status
        self.commit = commit
        self.dirty = dirty
        self.fingerprint = fingerprint
        self.hostname = hostname
        self.cellsOK = cellsOK
        self.cellsFailed = cellsFailed
        self.cellsSkipped = cellsSkipped
        self.sourcePath = sourcePath
        self.addedAt = addedAt
    }
}
