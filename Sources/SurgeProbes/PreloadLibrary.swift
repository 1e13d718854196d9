import Foundation
import Glibc
import Synchronization

/// Finds, and on first need builds, `libSurgeAllocCounter.so`: the plain-C LD_PRELOAD counter of
/// Sources/CSurgeAllocCounter, compiled with the system C compiler (`cc -shared -fPIC -O2`, libc
/// only) into the directory of the running executable (`.build/<config>/`, beside `surge`), or
/// `~/.cache/surge` when that directory is not writable. SwiftPM does not build it: its dynamic
/// library products link the Swift runtime, which every target would then load.
///
/// The outcome (a path or the reason there is none) is decided once per process, so a run that
/// cannot use the library says so once.
public enum PreloadLibrary {
    static let fileName = "libSurgeAllocCounter.so"
    /// Environment variable that names a prebuilt library to use instead.
    public static let overrideVariable = "SURGE_ALLOC_COUNTER_LIB"

    /// Sources/CSurgeAllocCounter of the checkout this binary was built from.
    static let sourceDirectory = CArtifact.sourcesDirectory + "/CSurgeAllocCounter"
    static let artifact = CArtifact(
        fileName: fileName, source: sourceDirectory + "/alloc_counter.c",
        dependencies: [sourceDirectory + "/include/SurgeAllocCounter.h"],
        flags: ["-shared", "-fPIC", "-O2", "-I", sourceDirectory + "/include"])

    /// The library's path, building it if needed; the same answer for the life of the process.
    public static func path() throws(ProbeError) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let override = environment[overrideVariable], !override.isEmpty {
            guard FileManager.default.isReadableFile(atPath: override) else {
                throw .unavailable(method: "preload", reason: "\(overrideVariable)=\(override) is not a readable file")
            }
            return override
        }
        return try artifact.path()
    }
}

/// The small static program `surge probe -- command` forks commands from
/// (Sources/CSurgeSys/helpers/spawn_gate.c), built like the preload library.
enum SpawnGateHelper {
    static let artifact = CArtifact(
        fileName: "surge-spawn-gate", source: CArtifact.sourcesDirectory + "/CSurgeSys/helpers/spawn_gate.c",
        dependencies: [], flags: ["-static", "-O2"])
}

/// A C program or library of this checkout that Surge compiles with the system C compiler on first
/// need, into the directory of the running executable or `~/.cache/surge`. Rebuilt when older than
/// its source (when the source is at hand); decided once per process.
struct CArtifact: Sendable {
    let fileName: String
    let source: String
    let dependencies: [String]
    let flags: [String]

    /// Sources/ of the checkout this binary was built from.
    static let sourcesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().path

    private static let decided = Mutex<[String: Result<String, ProbeError>]>([:])

    /// The artifact's path, building it if needed; the same answer for the life of the process.
    func path() throws(ProbeError) -> String {
        let outcome = Self.decided.withLock { known -> Result<String, ProbeError> in
            if let earlier = known[fileName] { return earlier }
            let fresh = Result<String, ProbeError> { () throws(ProbeError) -> String in try locateOrBuild() }
            known[fileName] = fresh
            return fresh
        }
        return try outcome.get()
    }

    private func locateOrBuild() throws(ProbeError) -> String {
        let environment = ProcessInfo.processInfo.environment
        let executableDirectory = ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/")
            .components(separatedBy: "/").dropLast().joined(separator: "/")
        let home = environment["XDG_CACHE_HOME"] ?? (environment["HOME"].map { $0 + "/.cache" } ?? "/tmp")
        let directories = [executableDirectory, home + "/surge"]
        let haveSource = FileManager.default.isReadableFile(atPath: source)
        for directory in directories {
            let candidate = directory + "/" + fileName
            if isUsable(candidate, needsNewerThanSource: haveSource) { return candidate }
        }
        guard haveSource else {
            throw .unavailable(method: fileName, reason: "\(fileName) is not next to the surge binary (\(executableDirectory)) and its source \(source) is not here to build it")
        }
        var failures: [String] = []
        for directory in directories {
            do throws(ProbeError) {
                return try build(into: directory)
            } catch {
                failures.append("\(directory): \(error)")
            }
        }
        throw .unavailable(method: fileName, reason: "could not build \(fileName) (\(failures.joined(separator: "; ")))")
    }

    /// True when `path` exists, does not need the Swift runtime (an old SwiftPM-built copy does),
    /// and, when the source is at hand, is not older than it.
    func isUsable(_ path: String, needsNewerThanSource: Bool) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), data.count > 0 else { return false }
        if data.range(of: Data("libswiftCore".utf8)) != nil { return false }
        guard needsNewerThanSource else { return true }
        func modified(_ file: String) -> Date? {
            (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date
        }
        guard let built = modified(path) else { return false }
        return ([source] + dependencies).allSatisfy { (modified($0) ?? .distantPast) <= built }
    }

    /// Compiles into `directory` (created if missing) and returns the path. The output is written
    /// under a temporary name and renamed, so concurrent builders never see half a file.
    func build(into directory: String) throws(ProbeError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .unavailable(method: fileName, reason: "cannot create \(directory): \(error.localizedDescription)")
        }
        let final = directory + "/" + fileName
        let temporary = "\(final).\(getpid()).tmp"
        try CCompiler.run(flags + ["-o", temporary, source])
        guard rename(temporary, final) == 0 else {
            let code = errno
            unlink(temporary)
            throw .systemCall("rename \(temporary) to \(final)", errno: code)
        }
        return final
    }
}
