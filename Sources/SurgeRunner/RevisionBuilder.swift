import Foundation
import SurgeScenario

/// A side's build: where it is (`{build}`), the `surge` that serves its built-in components, and
/// the commit it was built from.
public struct BuiltRevision: Sendable, Equatable {
    public var path: String
    public var surgeExecutable: String?
    public var commit: String?
    /// Taken from the cache, not built now.
    public var cached: Bool
}

/// Builds `rev:` and `build:` sides of `surge ab`.
///
/// `rev:GITREV` resolves the revision to a commit, checks it out with `git worktree add --detach`
/// into `CACHE/<repository>-<commit>` and builds it there, once: a finished build leaves a marker
/// file, and a later `surge ab` of the same commit reuses it. Without a scenario `build:` section the
/// repository is the one holding the working directory (this project) and the build is
/// `swift build -c release`, whose `surge` then serves the built-in components; with one, its
/// `repository` and `command` are used and the worktree is `{build}` in target commands.
public struct RevisionBuilder: Sendable {
    public var cacheDirectory: String
    public var spec: BuildSpec?
    /// Where a relative `build.repository` is resolved from (the scenario file's directory).
    public var scenarioDirectory: String

    static let marker = ".surge-ab-built"
    static let defaultCommand = ["swift", "build", "-c", "release"]

    public init(cacheDirectory: String, spec: BuildSpec?, scenarioDirectory: String) {
        self.cacheDirectory = cacheDirectory
        self.spec = spec
        self.scenarioDirectory = scenarioDirectory
    }

    public func build(revision: String, log: (String) -> Void) throws(ABSetupError) -> BuiltRevision {
        let repository = try repositoryPath()
        let commit = try Self.output(
            ["git", "-C", repository, "rev-parse", "--verify", "--quiet", "\(revision)^{commit}"],
            what: "rev:\(revision): not a revision of \(repository)")
        let name = (repository as NSString).lastPathComponent
        let cache = Self.absolute(cacheDirectory)
        let dir = (cache as NSString).appendingPathComponent("\(name)-\(commit)")
        let markerPath = (dir as NSString).appendingPathComponent(Self.marker)
        if FileManager.default.fileExists(atPath: markerPath) {
            log("rev:\(revision) = \(commit.prefix(12)): built before, in \(dir)")
            return BuiltRevision(path: dir, surgeExecutable: surge(in: dir), commit: commit, cached: true)
        }
        do {
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        } catch {
            throw ABSetupError("--build-cache \(cacheDirectory): cannot create it: \(error.localizedDescription)")
        }
        if FileManager.default.fileExists(atPath: dir) {
            // A build that did not finish: start over.
            _ = try? Self.output(
                ["git", "-C", repository, "worktree", "remove", "--force", dir], what: "", needsOutput: false)
            try? FileManager.default.removeItem(atPath: dir)
            _ = try? Self.output(["git", "-C", repository, "worktree", "prune"], what: "", needsOutput: false)
        }
        log("rev:\(revision) = \(commit.prefix(12)): checking out into \(dir)")
        _ = try Self.output(
            ["git", "-C", repository, "worktree", "add", "--detach", dir, commit],
            what: "rev:\(revision): git worktree add \(dir) failed", needsOutput: false)
        try runBuild(in: dir, what: "rev:\(revision)", log: log)
        do {
            try Data(commit.utf8).write(to: URL(fileURLWithPath: markerPath))
        } catch {
            throw ABSetupError("rev:\(revision): built, but cannot write \(markerPath): \(error.localizedDescription)")
        }
        return BuiltRevision(path: dir, surgeExecutable: surge(in: dir), commit: commit, cached: false)
    }

    public func build(directory: String, log: (String) -> Void) throws(ABSetupError) -> BuiltRevision {
        let dir = Self.absolute(directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ABSetupError("build:\(directory): no such directory")
        }
        if spec == nil {
            let direct = (dir as NSString).appendingPathComponent("surge")
            if FileManager.default.isExecutableFile(atPath: direct) {
                return BuiltRevision(path: dir, surgeExecutable: direct, commit: nil, cached: true)
            }
            guard FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("Package.swift"))
            else {
                throw ABSetupError("build:\(directory): holds neither a surge executable nor a Swift package to build")
            }
        }
        try runBuild(in: dir, what: "build:\(directory)", log: log)
        return BuiltRevision(path: dir, surgeExecutable: surge(in: dir), commit: nil, cached: false)
    }

    private func surge(in dir: String) -> String? {
        guard spec == nil else { return nil }
        return (dir as NSString).appendingPathComponent(".build/release/surge")
    }

    private func repositoryPath() throws(ABSetupError) -> String {
        if let spec {
            let path =
                spec.repository.hasPrefix("/")
                ? spec.repository : (scenarioDirectory as NSString).appendingPathComponent(spec.repository)
            return try Self.output(
                ["git", "-C", path, "rev-parse", "--show-toplevel"],
                what: "build.repository \(spec.repository): not a git repository")
        }
        return try Self.output(
            ["git", "rev-parse", "--show-toplevel"],
            what:
                "rev: needs a git repository: the working directory is not in one (or give the scenario a build: section)"
        )
    }

    private func runBuild(in dir: String, what: String, log: (String) -> Void) throws(ABSetupError) {
        let argv = spec?.command ?? Self.defaultCommand
        log("\(what): building in \(dir): \(argv.joined(separator: " "))")
        let status: Int32
        do {
            status = try Self.run(argv, in: dir, output: FileHandle.standardError)
        } catch {
            throw ABSetupError("\(what): cannot run \(argv.joined(separator: " ")): \(error)")
        }
        if status != 0 {
            throw ABSetupError(
                "\(what): the build (\(argv.joined(separator: " ")) in \(dir)) exited with status \(status)")
        }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }

    /// Runs argv (PATH searched, no shell) and returns its trimmed standard output; a failure throws `what`.
    static func output(_ argv: [String], what: String, needsOutput: Bool = true) throws(ABSetupError) -> String {
        let pipe = Pipe()
        let status: Int32
        do {
            status = try run(
                argv, in: nil, output: pipe.fileHandleForWriting, error: FileHandle.nullDevice, closing: pipe)
        } catch {
            throw ABSetupError("\(what) (\(error))")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0, !text.isEmpty || !needsOutput else { throw ABSetupError(what) }
        return text
    }

    static func run(
        _ argv: [String], in dir: String?, output: FileHandle, error: FileHandle = FileHandle.standardError,
        closing pipe: Pipe? = nil
    ) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
        p.standardOutput = output
        p.standardError = error
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try? pipe?.fileHandleForWriting.close()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
