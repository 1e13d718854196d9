/// What a profile measures per stack: CPU samples, time blocked off-CPU, or heap allocations.
public enum ProfileKind: String, CaseIterable, Sendable, Codable, Comparable {
    case cpu
    case offCPU = "off-cpu"
    case allocations

    public static func < (a: ProfileKind, b: ProfileKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Parses `cpu,off-cpu,allocations` (commas or spaces); an unknown name is an error naming it.
    public static func parseList(_ text: String) throws(ProfileError) -> [ProfileKind] {
        var result: [ProfileKind] = []
        for word in text.split(whereSeparator: { $0 == "," || $0 == " " }) where !word.isEmpty {
            guard let kind = ProfileKind(rawValue: String(word)) else {
                let known = allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidArgument("unknown profile kind '\(word)' (known: \(known))")
            }
            if !result.contains(kind) { result.append(kind) }
        }
        return result.sorted()
    }

    /// The unit of a raw count in this kind's folded file.
    public var rawUnit: String {
        switch self {
        case .cpu: "samples"
        case .offCPU: "ns"
        case .allocations: "bytes"
        }
    }

    /// The unit of the per-op file.
    public var perOpUnit: String {
        switch self {
        case .cpu: "cpu-ns/op"
        case .offCPU: "off-cpu-ns/op"
        case .allocations: "B/op"
        }
    }
}
