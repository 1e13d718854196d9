import Foundation
import SurgeScenario

/// Why `surge ab` could not set up a side (exit 1): names the option and what was wrong.
public struct ABSetupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What `--a`/`--b` name: a target of the scenario, an external command, a directory holding a
/// build, or a git revision to check out and build.
public enum ABSide: Sendable, Equatable {
    case target(String)
    /// `cmd:"argv ..."`: split at spaces (quotes group), no shell; `{port}` as in scenarios.
    case command([String])
    /// `build:DIR`.
    case build(String)
    /// `rev:GITREV`.
    case revision(String)

    public init(parsing text: String, option: String) throws(ABSetupError) {
        if text.hasPrefix("cmd:") {
            let argv = Self.split(String(text.dropFirst(4)))
            guard !argv.isEmpty else {
                throw ABSetupError("\(option) '\(text)': cmd: needs a program and its arguments")
            }
            self = .command(argv)
        } else if text.hasPrefix("build:") {
            let dir = String(text.dropFirst(6))
            guard !dir.isEmpty else { throw ABSetupError("\(option) '\(text)': build: needs a directory") }
            self = .build(dir)
        } else if text.hasPrefix("rev:") {
            let rev = String(text.dropFirst(4))
            guard !rev.isEmpty, !rev.hasPrefix("-") else {
                throw ABSetupError("\(option) '\(text)': rev: needs a git revision")
            }
            self = .revision(rev)
        } else if text.isEmpty {
            throw ABSetupError("\(option): empty; give a target name, cmd:\"argv\", build:DIR or rev:GITREV")
        } else {
            self = .target(text)
        }
    }

    /// Splits at unquoted spaces; `"…"` and `'…'` group (no escapes, no shell expansion).
    static func split(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { out.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(c)
                inWord = true
            }
        }
        if inWord { out.append(current) }
        return out
    }

    /// The side's cells and targets. A target or command side measures the scenario's matrix with
    /// the `target` axis taken out (both sides then have the same cell names); a build or revision
    /// side measures every cell with its own build (`{build}` filled, built-in components served by
    /// its `surge`).
    public func plan(given: String, scenario: Scenario, builder: RevisionBuilder, log: (String) -> Void)
        throws(ABSetupError)
        -> ABSidePlan
    {
        switch self {
        case .target(let name):
            guard let spec = scenario.targets.first(where: { $0.name == name }) else {
                let known = scenario.targets.map(\.name).joined(separator: ", ")
                throw ABSetupError(
                    "'\(given)' is not a target of \(scenario.file) (targets: \(known)); or give cmd:\"argv\", build:DIR or rev:GITREV"
                )
            }
            return ABSidePlan(given: given, cells: try Self.cells(scenario, only: spec), targets: [spec])
        case .command(let argv):
            let spec = TargetSpec.externalCommand(name: "cmd", argv: argv)
            return ABSidePlan(given: given, cells: try Self.cells(scenario, only: spec), targets: [spec])
        case .build(let dir):
            let built = try builder.build(directory: dir, log: log)
            return Self.plan(given: given, scenario: scenario, built: built)
        case .revision(let rev):
            let built = try builder.build(revision: rev, log: log)
            return Self.plan(given: given, scenario: scenario, built: built)
        }
    }

    static func plan(given: String, scenario: Scenario, built: BuiltRevision) -> ABSidePlan {
        var cells = scenario.cells()
        for i in cells.indices { cells[i].target = cells[i].target.withBuild(built.path) }
        return ABSidePlan(
            given: given, cells: cells, targets: scenario.targets, surgeExecutable: built.surgeExecutable,
            commit: built.commit)
    }

    /// The scenario's cells measured on `spec` alone, the `target` axis removed.
    static func cells(_ scenario: Scenario, only spec: TargetSpec) throws(ABSetupError) -> [Cell] {
        var s = scenario
        var renamed = spec
        renamed.name = "default"
        s.targets = [renamed]
        s.matrix.removeAll { $0.name == Scenario.targetAxis }
        var rules: [[String: String]] = []
        for rule in scenario.exclude {
            guard let t = rule[Scenario.targetAxis] else {
                rules.append(rule)
                continue
            }
            guard t == spec.name else { continue }
            var rest = rule
            rest[Scenario.targetAxis] = nil
            if rest.isEmpty { throw ABSetupError("\(scenario.file): exclude leaves no cell of target '\(spec.name)'") }
            rules.append(rest)
        }
        s.exclude = rules
        return s.cells()
    }
}

extension ABSidePlan {
    /// Sets `options` on the built-in component target of every cell of the side (`--target-option`,
    /// `--a-option`/`--b-option`, the later winning) and records them in `given`, so the `ab` records
    /// and the report say what each side ran with (cell names are unchanged).
    public mutating func override(options: [String: String], probes: [String]?) {
        if !options.isEmpty {
            for i in cells.indices where !cells[i].target.isCommand {
                cells[i].target.options.merge(options) { _, override in override }
            }
            let pairs = options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            given += " [" + pairs.joined(separator: " ") + "]"
        }
        if let probes {
            self.probes = probes
            given += " [probes: \(probes.isEmpty ? "none" : probes.joined(separator: ","))]"
        }
    }
}
