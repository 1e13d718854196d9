import Foundation
/// The type a workload parameter takes, for validation and `surge list`.
public enum ParameterType: String, Sendable {
    case integer, number, string, duration, size, boolean, integerList = "integer list"
}

/// Describes one key a workload accepts.
public struct ParameterSpec: Sendable {
    public var name: String
    public var type: ParameterType
    public var help: String
    public var defaultValue: String?

    public init(_ name: String, _ type: ParameterType, _ help: String, default defaultValue: String? = nil) {
        self.name = name
        self.type = type
        self.help = help
        self.defaultValue = defaultValue
    }
}

/// A workload parameter that is missing, of the wrong type or out of range.
public struct WorkloadParameterError: Error, CustomStringConvertible, Sendable {
    public var key: String
    public var message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "workload.\(key): \(message)" }
}

/// A cell's resolved workload parameters: scalar values from the scenario after `{placeholder}`
/// substitution, as the strings YAML held (`"200000"`, `"10s"`, `"1KiB"`, `"true"`) or lists of them.
/// Typed accessors parse and throw `WorkloadParameterError` naming the key.
public struct WorkloadParameters: Sendable {
    public enum Value: Sendable, Equatable {
        case scalar(String)
        case list([String])
    }

    public var values: [String: Value]

    public init(_ values: [String: Value]) {
        self.values = values
    }

    public func has(_ key: String) -> Bool { values[key] != nil }

    public func string(_ key: String) throws -> String? {
        switch values[key] {
        case nil: return nil
        case .scalar(let s): return s
        case .list: throw WorkloadParameterError(key: key, "expected a single value, found a list")
        }
    }

    public func string(_ key: String, default value: String) throws -> String {
        try string(key) ?? value
    }

    public func int(_ key: String) throws -> Int? {
        guard let s = try string(key) else { return nil }
        guard let v = Int(s.replacingOccurrences(of: "_", with: "")) else {
            throw WorkloadParameterError(key: key, "expected an integer, found '\(s)'")
        }
        return v
    }

    public func int(_ key: String, default value: Int, range: ClosedRange<Int>? = nil) throws -> Int {
        let v = try int(key) ?? value
        if let range, !range.contains(v) {
            throw WorkloadParameterError(key: key, "\(v) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public func double(_ key: String) throws -> Double? {
        guard let s = try string(key) else { return nil }
        guard let v = Double(s) else { throw WorkloadParameterError(key: key, "expected a number, found '\(s)'") }
        return v
    }

    public func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let s = try string(key) else { return value }
        switch s.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw WorkloadParameterError(key: key, "expected true or false, found '\(s)'")
        }
    }

    /// Seconds, from `10s`, `500ms`, `2m`, `1.5s`, `250us` or a bare number of seconds.
    public func duration(_ key: String) throws -> Double? {
        guard let s = try string(key) else { return nil }
        guard let v = Self.parseDuration(s) else {
            throw WorkloadParameterError(key: key, "expected a duration like 10s, 500ms or 2m, found '\(s)'")
        }
        return v
    }

    /// Bytes, from `128`, `1KiB`, `4KB`, `1MiB`.
    public func size(_ key: String) throws -> Int? {
        guard let s = try string(key) else { return nil }
        guard let v = Self.parseSize(s) else {
            throw WorkloadParameterError(key: key, "expected a size like 128, 1KiB or 4MB, found '\(s)'")
        }
        return v
    }

    public func intList(_ key: String) throws -> [Int]? {
        switch values[key] {
        case nil: return nil
        case .scalar(let s):
            guard let v = Int(s) else { throw WorkloadParameterError(key: key, "expected an integer or a list of integers, found '\(s)'") }
            return [v]
        case .list(let items):
            return try items.map { item in
                guard let v = Int(item) else { throw WorkloadParameterError(key: key, "expected integers, found '\(item)'") }
                return v
            }
        }
    }

    public static func parseDuration(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v >= 0 else { return nil }
            return v * scale
        }
        guard let v = Double(s), v >= 0 else { return nil }
        return v
    }

    public static func parseSize(_ text: String) -> Int? {
        let s = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("KiB", 1024), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let v = Int(s.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0 else { return nil }
            return v * scale
        }
        guard let v = Int(s), v >= 0 else { return nil }
        return v
    }
}
