/// Which slice of a sharded run a result file holds (`surge run --shard i/n`).
public struct ShardRecord: Codable, Sendable, Equatable {
    /// 1-based.
    public var index: Int
    public var count: Int
    /// Every cell of the whole run, in matrix order (after `--filter`), so that a merge can tell a missing
    /// shard from an empty one and put the cells back in order.
    public var allCells: [String]

    public init(index: Int, count: Int, allCells: [String]) {
        self.index = index
        self.count = count
        self.allCells = allCells
    }
}

/// What `surge merge` joined into one run: one part per shard file.
public struct MergeManifest: Codable, Sendable, Equatable {
    public struct Part: Codable, Sendable, Equatable {
        public var shard: Int
        public var runID: String
        /// The file as given to `surge merge`.
        public var file: String
        public var hostname: String
        public var hostFingerprint: String
        /// The cells this shard ran, in matrix order.
        public var cells: [String]
    }

    public var shards: Int
    public var parts: [Part]
}
