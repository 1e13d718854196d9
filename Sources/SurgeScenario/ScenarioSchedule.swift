/// The order in which a run visits its cells (`order:` in a scenario, `--order` on `surge run`).
public enum RunOrder: String, Sendable, CaseIterable, Codable {
    /// Every repetition of a cell, then the next cell (the default).
    case sequential
    /// Repetition 1 of every cell, then repetition 2, and so on: drift spreads over all cells.
    case interleaved
    /// Every (cell, repetition) visit in a shuffled order, from a seed the result file records.
    case random
}

/// How long a cell's target lives (`target-lifetime:`).
public enum TargetLifetime: String, Sendable, CaseIterable, Codable {
    /// A freshly started target for every visit (warm-up included): the default for interleaved and
    /// random order.
    case visit
    /// One target per cell, kept across its visits: the default for sequential order.
    case run
}

/// The `build:` section: how to build a team's own server from a revision (`surge ab --a rev:X`).
/// `command` runs in the checked-out worktree; target commands name the result as `{build}`.
public struct BuildSpec: Sendable, Equatable {
    /// The git repository the revisions come from (relative paths are relative to the scenario file).
    public var repository: String
    /// The build's argv, run without a shell in the worktree.
    public var command: [String]
    public var location: SourceLocation

    public init(repository: String, command: [String], location: SourceLocation = .unknown) {
        self.repository = repository
        self.command = command
        self.location = location
    }
}

extension Reader {
    mutating func order(_ entry: ScenarioEntry?) -> RunOrder? {
        guard let text = string(entry, key: "order") else { return nil }
        guard let order = RunOrder(rawValue: text) else {
            let known = RunOrder.allCases.map(\.rawValue).joined(separator: ", ")
            error("order", entry!.value.location, "'\(text)' is not an order; expected one of \(known)")
            return nil
        }
        return order
    }

    mutating func targetLifetime(_ entry: ScenarioEntry?) -> TargetLifetime? {
        guard let text = string(entry, key: "target-lifetime") else { return nil }
        guard let lifetime = TargetLifetime(rawValue: text) else {
            error("target-lifetime", entry!.value.location, "'\(text)' is not a lifetime; expected visit or run")
            return nil
        }
        return lifetime
    }

    mutating func build(_ entry: ScenarioEntry?) -> BuildSpec? {
        guard let entry else { return nil }
        guard case .map(let pairs, let loc) = entry.value else {
            error(
                "build", entry.value.location,
                "expected { repository: PATH, command: [argv] }, found \(entry.value.typeName)")
            return nil
        }
        var repository: String?
        var command: [String]?
        for p in pairs {
            switch p.key {
            case "repository": repository = string(p, key: "build.repository")
            case "command":
                command = stringList(p, key: "build.command")
                if command?.isEmpty == true { error("build.command", p.value.location, "empty: give the build's argv") }
            default: error("build.\(p.key)", p.keyLocation, "unknown key; expected repository or command")
            }
        }
        guard let repository, let command, !command.isEmpty else {
            if repository == nil { error("build.repository", loc, "missing; the git repository to build revisions of") }
            if command == nil {
                error("build.command", loc, "missing; the build's argv, e.g. [cargo, build, --release]")
            }
            return nil
        }
        return BuildSpec(repository: repository, command: command, location: entry.keyLocation)
    }

    /// `{build}` names the built worktree: only meaningful with a `build:` section.
    mutating func checkBuildPlaceholder(targets: [TargetSpec], build: BuildSpec?) {
        guard build == nil else { return }
        for t in targets {
            guard case .command(let argv) = t.kind else { continue }
            let key = t.name == "default" ? "target" : "targets.\(t.name)"
            for (i, f) in argv.enumerated() where ((try? Placeholders.names(in: f.text)) ?? []).contains("build") {
                error(
                    "\(key).command[\(i)]", f.location,
                    "{build} names the built worktree, but the scenario has no `build:` section")
            }
        }
    }
}

extension TargetSpec {
    /// An external program given outside a scenario (`surge ab --b cmd:"argv ..."`), default timeouts.
    public static func externalCommand(name: String, argv: [String]) -> TargetSpec {
        TargetSpec(
            name: name, kind: .command(argv.map { ScenarioField($0) }), options: [:], environment: [:],
            readyTimeout: 15, stopTimeout: 5, location: .unknown)
    }
}
