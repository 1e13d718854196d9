import ArgumentParser
import Foundation
import Glibc
import SurgeProbes
import SurgeProfile

/// `surge profile`: CPU, off-CPU and allocation flame graphs of a running process tree
/// (`--pid`) or of a command it starts (`-- command args`); `surge profile diff` draws the
/// differential flame graph of two folded files and prints the biggest changes.
struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Flame graphs of a process: CPU samples, off-CPU time, allocations per stack.",
        discussion: """
            Examples:
              surge profile --pid PID --duration 10s --out DIR
                  profile a running process (Ctrl-C ends early)
              surge profile --out DIR -- command args
                  run the command and profile it to its end
              surge profile diff A.folded B.folded --out diff.svg
                  differential flame graph of B against A

            Writes DIR/<name>.<kind>.folded (Brendan Gregg's folded stacks), .svg (a self-contained flame \
            graph: hover for figures, click to zoom) and, with --operations, .per-op.folded.

            Needs root (or CAP_BPF and CAP_PERFMON); cpu falls back to perf record without BPF. Stacks are \
            walked by frame pointers: build C and C++ with -fno-omit-frame-pointer (Swift keeps them).
            """,
        subcommands: [ProfileRecordCommand.self, ProfileDiffCommand.self],
        defaultSubcommand: ProfileRecordCommand.self
    )
}

/// `surge profile [record]`: profiles a process or a command and writes its files.
struct ProfileRecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Profile a running process (--pid) or a command (-- command args); the default.",
        usage: "surge profile [record] --pid PID [--duration 10s] --out DIR [<options>]\n"
            + "surge profile [record] --out DIR [<options>] -- COMMAND [ARGS ...]"
    )

    @Option(help: "Process id of a running process to profile (with its children).")
    var pid: Int32?

    @Option(help: "Profile length for --pid: 10s, 500ms, 2m.")
    var duration: String = "10s"

    @Option(help: "Profiles: \(ProfileKind.allCases.map(\.rawValue).joined(separator: ", ")) (comma separated).")
    var kinds: String = "cpu"

    @Option(help: "CPU samples per second per CPU.")
    var frequency: Int = 99

    @Option(name: .customLong("min-block"), help: "Shortest off-CPU block recorded: 10us, 1ms.")
    var minimumBlock: String = "10us"

    @Option(name: .customLong("alloc-sample"), help: "Record 1 in N allocation calls (a power of two).")
    var allocationSample: Int = 1

    @Option(help: "Operations done during the profile, to normalise per op (e.g. requests answered).")
    var operations: Int?

    @Option(help: "Directory for the folded stacks and flame graphs.")
    var out: String = "Reports/profiles"

    @Option(help: "Base name of the files (default: the command name and pid).")
    var name: String?

    @Flag(help: "Profile the process alone, not its children.")
    var mainOnly = false

    @Argument(parsing: .postTerminator, help: "Command to run and profile (after --).")
    var command: [String] = []

    func validate() throws {
        if (pid == nil) == command.isEmpty { throw ValidationError("give either --pid PID or -- command args (not both)") }
        _ = try ProbeDuration.parse(duration)
        _ = try ProbeDuration.parse(minimumBlock)
        do { _ = try ProfileKind.parseList(kinds) } catch { throw ValidationError("--kinds: \(error)") }
        if !(1...10_000).contains(frequency) { throw ValidationError("--frequency must be 1...10000 Hz (got \(frequency))") }
        if allocationSample < 1 || allocationSample & (allocationSample - 1) != 0 {
            throw ValidationError("--alloc-sample must be a power of two (got \(allocationSample))")
        }
        if let operations, operations < 1 { throw ValidationError("--operations must be positive (got \(operations))") }
    }

    func run() async throws {
        var options = ProfileOptions(kinds: try ProfileKind.parseList(kinds))
        options.frequency = frequency
        options.offCPUMinimumNanoseconds = UInt64(try ProbeDuration.parse(minimumBlock) * 1e9)
        options.allocationSampleEvery = allocationSample
        options.mainOnly = mainOnly
        let started = Date()
        let interrupt: InterruptCatcher
        let profiler: Profiler
        var child: GatedChild?
        if let pid {
            profiler = try Profiler(pid: pid, options: options)
            interrupt = InterruptCatcher()
        } else {
            let gated = try GatedChild(command: command, environment: ProcessInfo.processInfo.environment)
            child = gated
            interrupt = InterruptCatcher(forwardTerminationTo: gated.pid)
            gated.release()
            Self.waitForExec(gated.pid)
            do { profiler = try Profiler(pid: gated.pid, options: options) } catch {
                gated.abandon()
                throw error
            }
        }
        let target = pid ?? child!.pid
        let subject = Self.commandName(target)
        say("attached to pid \(target) (\(profiler.methods.sorted { $0.key < $1.key }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: "; ")))")
        profiler.notices.forEach(say)
        let deadline = pid == nil ? Date.distantFuture : started.addingTimeInterval(try ProbeDuration.parse(duration))
        while Date() < deadline, interrupt.caught == nil || child != nil {
            if let child { if child.hasExited { break } } else if kill(target, 0) != 0 && errno == ESRCH { break }
            profiler.poll()
            usleep(100_000)
        }
        let profiles = profiler.finish()
        var exitStatus: Int32?
        if let child { exitStatus = try child.wait().status }
        let writer = ProfileWriter(directory: out, base: name ?? "\(subject)-\(target)", subject: "\(subject) (pid \(target))",
                                   frequency: frequency)
        let written = try writer.write(profiles, operations: operations, seconds: Date().timeIntervalSince(started))
        for file in written {
            let figure = String(format: "%.4g", file.total)
            print("\(file.kind.rawValue): \((out as NSString).appendingPathComponent(file.svg)) (\(figure) \(file.unit); "
                  + String(format: "%.1f%% fully named, %.1f%% of frames [unknown]", file.resolvedShare * 100, file.unknownFrameShare * 100)
                  + "; \(file.method))")
        }
        withExtendedLifetime(interrupt) {}
        if let exitStatus, exitStatus != 0 { throw ExitCode(exitStatus) }
        if written.isEmpty { throw ExitCode(SurgeExitCode.badInput.rawValue) }
    }

    private func say(_ text: String) {
        FileHandle.standardError.write(Data("surge profile: \(text)\n".utf8))
    }

    /// Waits (up to 1 s) until the released child runs the command rather than the spawn helper.
    static func waitForExec(_ pid: Int32) {
        let before = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? ""
        for _ in 0..<1000 {
            let now = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? ""
            if now != before || !before.contains("surge-spawn-gate") { return }
            usleep(1000)
        }
    }

    static func commandName(_ pid: Int32) -> String {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "pid"
        return text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "/", with: "_")
    }
}

/// `surge profile diff A.folded B.folded --out diff.svg`: B's flame graph coloured by the change
/// from A (red grew, blue shrank), and the biggest changes by self and inclusive cost.
struct ProfileDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Differential flame graph of B against A, and the functions that changed most.",
        usage: "surge profile diff <a> <b> --out <out> [<options>]",
        discussion: "Compare per-op files (.per-op.folded) so runs of different length line up."
    )

    @Argument(help: "Folded stacks of A (before).")
    var a: String

    @Argument(help: "Folded stacks of B (after).")
    var b: String

    @Option(help: "The SVG to write.")
    var out: String

    @Option(help: "Title (default: the subjects of the two files).")
    var title: String?

    @Option(help: "Also write the biggest-changes table as markdown to this file.")
    var markdown: String?

    @Option(help: "Rows per table.")
    var top: Int = 12

    @Option(help: "Whose shape to draw: b (what B spends, the default) or a (A's, where what B no longer does shows).")
    var shape: String = "b"

    func validate() throws {
        if !["a", "b"].contains(shape) { throw ValidationError("--shape must be a or b (got '\(shape)')") }
        if top < 1 { throw ValidationError("--top must be at least 1 (got \(top))") }
    }

    func run() throws {
        let diff: ProfileDiff
        do {
            diff = try ProfileDiff.read(a, b)
        } catch {
            FileHandle.standardError.write(Data("surge profile diff: \(error)\n".utf8))
            if case .notComparable = error { throw ExitCode(SurgeExitCode.notComparable.rawValue) }
            throw ExitCode(SurgeExitCode.badInput.rawValue)
        }
        let changes = diff.changes
        do {
            try ProfileWriter.writeText(diff.svg(title: title, shapeIsA: shape == "a"), to: out)
            if let markdown { try ProfileWriter.writeText(changes.markdown(top: top), to: markdown) }
        } catch {
            FileHandle.standardError.write(Data("surge profile diff: \(error)\n".utf8))
            throw ExitCode(SurgeExitCode.badInput.rawValue)
        }
        print(changes.markdown(top: top), terminator: "")
        print("wrote \(out)")
    }
}
