/// One benchmark result line of Go's benchmark format, with the file configuration in force where it
/// was read and where it came from.
public struct BenchRecord: Sendable {
    /// Full name without the `Benchmark` prefix: `Encode/format=json-48`.
    public var name: String
    public var iterations: Int
    /// Values with their tidied units (`ns/op` → `sec/op`) as benchstat keeps them.
    public var values: [BenchValue]
    /// File configuration (`key: value` lines before this result), in the order keys were first set.
    public var config: [BenchConfigEntry]
    /// The file's label (the path, or `label` of a `label=path` argument); benchstat's `.file`.
    public var file: String
    /// 1-based line number in the file (0 for records not read from text).
    public var line: Int

    public init(name: String, iterations: Int, values: [BenchValue], config: [BenchConfigEntry], file: String, line: Int) {
        self.name = name
        self.iterations = iterations
        self.values = values
        self.config = config
        self.file = file
        self.line = line
    }

    public func configValue(_ key: String) -> String? {
        config.first { $0.key == key }?.value
    }
}

public struct BenchConfigEntry: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

public struct BenchValue: Sendable, Equatable {
    /// Value in `unit` (tidied: `ns/op` values are stored as seconds, ×1e-9).
    public var value: Double
    /// Tidied unit (`sec/op`, `B/s`), or the original unit when tidying did not change the value.
    public var unit: String
    /// The unit as written in the file (`ns/op`).
    public var originalUnit: String
    /// How a Surge result measured the value (`bpf`, `preload`, `uprobe (profile pass)`); nil for Go input.
    public var method: String?

    public init(value: Double, unit: String, originalUnit: String? = nil, method: String? = nil) {
        self.value = value
        self.unit = unit
        self.originalUnit = originalUnit ?? unit
        self.method = method
    }
}

/// A line of a benchmark file that could not be read; benchstat prints it as `file:line: message`
/// and skips the line.
public struct BenchSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public var description: String { "\(file):\(line): \(message)" }
}

/// `Unit <unit> key=value` metadata, keyed by tidied unit, shared by all files of one comparison.
public struct BenchUnitMetadata: Sendable {
    /// tidied unit → key → value.
    public private(set) var entries: [String: [String: String]] = [:]

    public init() {}

    /// benchstat's assumption for a unit: `assume=exact` makes it compared exactly.
    public func assumesExact(_ tidiedUnit: String) -> Bool {
        entries[tidiedUnit]?["assume"] == "exact"
    }

    mutating func set(unit tidied: String, key: String, value: String) -> String? {
        if let have = entries[tidied]?[key] {
            return have == value ? nil : have
        }
        entries[tidied, default: [:]][key] = value
        return nil
    }
}
