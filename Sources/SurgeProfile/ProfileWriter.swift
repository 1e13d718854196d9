import Foundation

/// Writes a target's profiles as files: per kind, the raw folded stacks
/// (`<base>.<kind>.folded`), the per-op folded stacks when the operations are known
/// (`<base>.<kind>.per-op.folded`) and a flame graph of the per-op stacks (else the raw ones)
/// (`<base>.<kind>.svg`).
public struct ProfileWriter: Sendable {
    /// One written profile: its files (relative to the directory) and what it covers.
    public struct Written: Sendable, Equatable {
        public var kind: ProfileKind
        public var folded: String
        public var perOp: String?
        public var svg: String
        public var unit: String
        public var total: Double
        public var unknownFrameShare: Double
        public var resolvedShare: Double
        public var method: String
    }

    public var directory: String
    public var base: String
    /// Names the graph: the cell or command.
    public var subject: String
    public var frequency: Int

    public init(directory: String, base: String, subject: String, frequency: Int) {
        self.directory = directory
        self.base = base
        self.subject = subject
        self.frequency = frequency
    }

    /// Writes every profile; `operations` (with its name, e.g. "message delivered") normalises.
    public func write(_ profiles: [Profile], operations: Int?, operationName: String = "op",
                      seconds: Double? = nil) throws(ProfileError) -> [Written] {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .file(path: directory, detail: "cannot create the directory: \(error.localizedDescription)")
        }
        var written: [Written] = []
        for profile in profiles {
            let stem = "\(base).\(profile.kind.rawValue)"
            var stacks = profile.stacks
            stacks.header.append(("subject", subject))
            try stacks.write(path("\(stem).folded"))
            var perOpName: String?
            var drawn = stacks
            var unit = profile.kind.rawUnit
            var normalisation = "raw \(profile.kind.rawUnit)" + (seconds.map { String(format: " over %.1f s", $0) } ?? "")
            if let operations, operations > 0 {
                var perOp = profile.perOperation(operations, frequency: frequency)
                perOp.header.append(("subject", subject))
                perOpName = "\(stem).per-op.folded"
                try perOp.write(path(perOpName!))
                drawn = perOp
                unit = profile.kind.perOpUnit
                normalisation = "normalised per \(operationName): \(unit), \(operations) operations"
            }
            let what = profile.kind == .cpu ? "samples" : profile.kind.rawUnit
            let resolved = String(format: "%.1f%% of ", profile.resolvedShare * 100) + what
                + String(format: " fully named, %.1f%% of frames [unknown]", profile.unknownFrameShare * 100)
            let svg = FlameGraphSVG(title: "\(subject) — \(profile.kind.rawValue) flame graph",
                                    subtitle: "\(normalisation); \(profile.method); \(resolved)", unit: unit).render(drawn)
            try Self.writeText(svg, to: path("\(stem).svg"))
            written.append(Written(kind: profile.kind, folded: "\(stem).folded", perOp: perOpName, svg: "\(stem).svg", unit: unit,
                                   total: drawn.total, unknownFrameShare: profile.unknownFrameShare,
                                   resolvedShare: profile.resolvedShare, method: profile.method))
        }
        return written
    }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Writes `text` atomically.
    public static func writeText(_ text: String, to path: String) throws(ProfileError) {
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .file(path: path, detail: "cannot write: \(error.localizedDescription)")
        }
    }
}
