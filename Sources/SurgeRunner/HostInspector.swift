import Foundation
import SurgeResults

/// Reads what a result must record about the machine and the source tree it was measured on.
public enum HostInspector {
    public static func hostInfo(surgeVersion: String) -> HostInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let load = loadAverage()
        var uts = utsname()
        uname(&uts)
        let release = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #if DEBUG
        let config = "debug"
        #else
        let config = "release"
        #endif
        return HostInfo(
            hostname: ProcessInfo.processInfo.hostName, cpuModel: model,
            cores: ProcessInfo.processInfo.activeProcessorCount, kernel: release, loadAverage: load,
            surgeVersion: surgeVersion, buildConfig: config)
    }

    /// The 1, 5 and 15 minute load averages now (`/proc/loadavg`); empty when unreadable.
    public static func loadAverage() -> [Double] {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "")
            .split(separator: " ").prefix(3).compactMap { Double($0) }
    }

    /// The git commit of the working directory and whether it has uncommitted changes; nil outside git.
    public static func sourceInfo(directory: String = FileManager.default.currentDirectoryPath) -> SourceInfo? {
        guard let commit = git(["rev-parse", "HEAD"], in: directory)?.trimmingCharacters(in: .whitespacesAndNewlines),
              commit.count >= 40 else { return nil }
        let status = git(["status", "--porcelain", "--untracked-files=no"], in: directory) ?? ""
        return SourceInfo(commit: commit, dirty: !status.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    private static func git(_ args: [String], in directory: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", directory] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
