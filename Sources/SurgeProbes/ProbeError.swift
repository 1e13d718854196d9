import Glibc

/// Errors of SurgeProbes, with messages written for the person running Surge.
public enum ProbeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The target process does not exist (never did, or exited).
    case noSuchProcess(Int32)
    /// A method cannot be used here; the string says why (privileges, kernel feature, ...).
    case unavailable(method: String, reason: String)
    /// A kernel or library call failed.
    case systemCall(String, errno: Int32)
    /// A file under /proc or /sys did not have the expected content.
    case unexpectedFormat(path: String, detail: String)
    /// The caller asked for something that does not exist (unknown method or probe name).
    case invalidArgument(String)
    /// endWindow without beginWindow, or use after close.
    case misuse(String)

    public var description: String {
        switch self {
        case .noSuchProcess(let pid): "process \(pid) does not exist (it exited or was never started)"
        case .unavailable(let method, let reason): "\(method) unavailable: \(reason)"
        case .systemCall(let call, let code): "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .unexpectedFormat(let path, let detail): "\(path): \(detail)"
        case .invalidArgument(let text): text
        case .misuse(let text): text
        }
    }

    static func errno(_ call: String) -> ProbeError { .systemCall(call, errno: Glibc.errno) }
}
