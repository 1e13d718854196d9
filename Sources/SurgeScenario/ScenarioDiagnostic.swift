/// A place in a scenario file: 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static let unknown = SourceLocation(line: 0, column: 0)

    public var description: String { "\(line):\(column)" }
}

/// One problem in a scenario file, with the file, line and key it is about.
///
/// Printed like a compiler diagnostic so editors can jump to it:
/// `Scenarios/smoke.yaml:12:3: error: workload.payload: expected a size like 128 or 1KiB, found 'big'`.
public struct ScenarioDiagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var location: SourceLocation
    /// Dotted path of the key, e.g. `workload.payload` or `matrix.flush[1]`.
    public var key: String
    public var message: String

    public init(file: String, location: SourceLocation, key: String, message: String) {
        self.file = file
        self.location = location
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = location == .unknown ? file : "\(file):\(location.line):\(location.column)"
        return key.isEmpty ? "\(place): error: \(message)" : "\(place): error: \(key): \(message)"
    }
}

/// Every problem found in a scenario file; loading reports them all at once, not just the first.
public struct ScenarioErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ScenarioDiagnostic]

    public init(_ diagnostics: [ScenarioDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
