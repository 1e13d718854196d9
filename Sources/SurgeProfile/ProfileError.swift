import SurgeProbes

/// Errors of SurgeProfile, written for the person running Surge.
public enum ProfileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A probe could not attach or read (privileges, kernel feature, system call).
    case probe(ProbeError)
    /// A folded stacks file that does not parse: path, line, what is wrong.
    case badFolded(path: String, line: Int, detail: String)
    /// A file could not be read or written.
    case file(path: String, detail: String)
    case invalidArgument(String)
    /// Two profiles that cannot be compared (different units or kinds).
    case notComparable(String)

    public var description: String {
        switch self {
        case .probe(let error): "\(error)"
        case .badFolded(let path, let line, let detail): "\(path):\(line): \(detail)"
        case .file(let path, let detail): "\(path): \(detail)"
        case .invalidArgument(let text): text
        case .notComparable(let text): "not comparable: \(text)"
        }
    }
}
