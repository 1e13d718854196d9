import Foundation

/// A family of figures SurgeProbes can measure for a target process.
public enum ProbeKind: String, CaseIterable, Sendable, Codable {
    case syscalls
    case syscallLatency = "syscall-latency"
    case allocations
    case cpu
    case memory
    case contextSwitches = "context-switches"

    /// True when the probe slows the target enough to distort speed figures, so it must run in
    /// repetitions of its own (a profile pass). Syscall latency costs ~630 ns per syscall.
    /// Allocation counting is cheap through the preload library but costly through uprobes
    /// (~1 µs per call): ask `ProbeKind.costly(_:preloaded:)` for the decision that knows which.
    public var isCostly: Bool {
        switch self {
        case .syscallLatency: true
        case .syscalls, .allocations, .cpu, .memory, .contextSwitches: false
        }
    }

    /// The probes of `probes` that must run in a separate profile pass, given whether the target
    /// is started with the allocation preload library (`preloaded`). Without it, allocations are
    /// counted by uprobes and are costly.
    public static func costly(_ probes: Set<ProbeKind>, preloaded: Bool) -> Set<ProbeKind> {
        probes.filter { $0.isCostly || ($0 == .allocations && !preloaded) }
    }

    /// Parses a list such as "syscalls,allocations"; throws naming the unknown word.
    public static func parseList(_ text: String) throws(ProbeError) -> Set<ProbeKind> {
        var result = Set<ProbeKind>()
        for word in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !word.isEmpty {
            guard let kind = ProbeKind(rawValue: word) else {
                throw .invalidArgument("unknown probe '\(word)'; known probes: \(ProbeKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            result.insert(kind)
        }
        return result
    }
}

/// How a figure was measured; recorded beside every metric.
public enum ProbeMethod: String, Sendable, Codable {
    case bpf, perf, proc, preload, uprobe
}
