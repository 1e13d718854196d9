import Foundation

/// Stacks in Brendan Gregg's folded format: one line per stack, frames root first separated by
/// `;`, a space, and the stack's value (a count, nanoseconds, bytes, or a per-op figure with a
/// fraction). Lines starting with `#` are comments (Surge writes the kind, unit and normalisation
/// there; flamegraph.pl users can strip them with `grep -v '^#'`).
public struct FoldedStacks: Sendable, Equatable {
    public var values: [String: Double]
    /// `# key: value` comment lines, in order.
    public var header: [(key: String, value: String)]

    public init(values: [String: Double] = [:], header: [(key: String, value: String)] = []) {
        self.values = values
        self.header = header
    }

    public static func == (a: FoldedStacks, b: FoldedStacks) -> Bool {
        a.values == b.values && a.header.map { "\($0.key)=\($0.value)" } == b.header.map { "\($0.key)=\($0.value)" }
    }

    public var total: Double { values.values.reduce(0, +) }

    public func headerValue(_ key: String) -> String? { header.first { $0.key == key }?.value }

    /// Every value multiplied by `factor` (e.g. 1 / operations).
    public func scaled(by factor: Double) -> FoldedStacks {
        FoldedStacks(values: values.mapValues { $0 * factor }, header: header)
    }

    /// The file's text: header comments, then stacks sorted by name.
    public var text: String {
        var out = header.map { "# \($0.key): \($0.value)\n" }.joined()
        for (stack, value) in values.sorted(by: { $0.key < $1.key }) {
            out += "\(stack) \(Self.format(value))\n"
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6g", value)
    }

    /// Parses folded text; `path` names the file in errors (line numbers from 1).
    public static func parse(_ text: String, path: String) throws(ProfileError) -> FoldedStacks {
        var result = FoldedStacks()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("#") {
                let body = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
                if let colon = body.firstIndex(of: ":") {
                    result.header.append((String(body[..<colon]), body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                }
                continue
            }
            guard let space = trimmed.lastIndex(of: " ") else {
                throw .badFolded(path: path, line: index + 1, detail: "expected 'frame;frame;... count', found no count")
            }
            let stack = String(trimmed[..<space]).trimmingCharacters(in: .whitespaces)
            let number = trimmed[trimmed.index(after: space)...]
            guard let value = Double(number), value.isFinite else {
                throw .badFolded(path: path, line: index + 1, detail: "'\(number)' is not a count")
            }
            guard !stack.isEmpty else { throw .badFolded(path: path, line: index + 1, detail: "empty stack") }
            result.values[stack, default: 0] += value
        }
        return result
    }

    public static func read(_ path: String) throws(ProfileError) -> FoldedStacks {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .file(path: path, detail: "cannot read: \(error.localizedDescription)")
        }
        return try parse(text, path: path)
    }

    /// Writes the file atomically (a temporary file renamed over it).
    public func write(_ path: String) throws(ProfileError) {
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .file(path: path, detail: "cannot write: \(error.localizedDescription)")
        }
    }
}
