import CSurgeSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a target could not be started, became unready or died.
public enum TargetError: Error, CustomStringConvertible, Sendable {
    case spawnFailed(argv: [String], reason: String)
    case exitedBeforeReady(status: String, stderr: [String])
    case notReady(seconds: Double, detail: String)
    case badReadyLine(String)
    case exited(status: String)

    public var description: String {
        switch self {
        case .spawnFailed(let argv, let reason): return "cannot start \(argv.joined(separator: " ")): \(reason)"
        case .exitedBeforeReady(let status, _): return "the target \(status) before it was ready"
        case .notReady(let s, let detail): return "the target was not ready after \(String(format: "%.1f", s)) s (\(detail))"
        case .badReadyLine(let line): return "the target's ready line is not {\"ready\":true,\"port\":N,...}: \(line)"
        case .exited(let status): return "the target \(status)"
        }
    }
}

/// A target process started by the runner: spawned without a shell, its standard output read for the
/// ready line, the last lines of its standard error kept for failure reports, stopped with SIGTERM
/// then SIGKILL, and always reaped.
public final class TargetProcess: @unchecked Sendable {
    public let pid: pid_t
    public let argv: [String]
    private let stdoutFD: Int32
    private let stderrTail: LineTail
    private let lock = NSLock()
    private var exitStatus: Int32?
    private var stdoutBuffer = [UInt8]()
    /// The integer fields of the ready line (`port`, `stats_port`, a mesh node's `peer_port`).
    public private(set) var readyFields: [String: Int] = [:]

    /// Starts `argv` (PATH is searched for argv[0]) with `environment` added to Surge's own.
    /// `cpus`, when given, pins the target (and every thread it creates) to those CPUs.
    public init(argv: [String], environment: [String: String], cpus: [Int]?) throws {
        precondition(!argv.isEmpty)
        self.argv = argv
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard csurge_pipe_cloexec(&outPipe) == 0, csurge_pipe_cloexec(&errPipe) == 0 else {
            throw TargetError.spawnFailed(argv: argv, reason: String(cString: strerror(errno)))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // A fresh process group, so Ctrl-C in the terminal reaches Surge only; Surge stops the target itself.
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        posix_spawnattr_setsigmask(&attr, &emptySet)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envStrings = env.map { "\($0.key)=\($0.value)" }

        // The child inherits the spawning thread's CPU mask, so pin this thread for the spawn only.
        let previousMask = cpus.flatMap { CPUAffinity.pinCurrentThread(to: $0) }

        var childPID: pid_t = 0
        let rc = withCStrings(argv) { cargv in
            withCStrings(envStrings) { cenv in
                posix_spawnp(&childPID, argv[0], &actions, &attr, cargv, cenv)
            }
        }
        if let previousMask { CPUAffinity.restoreCurrentThread(previousMask) }
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw TargetError.spawnFailed(argv: argv, reason: String(cString: strerror(rc)))
        }
        pid = childPID
        stdoutFD = outPipe[0]
        stderrTail = LineTail(fd: errPipe[0], keep: 20)
        stderrTail.start()
    }

    deinit {
        stop(timeout: 2)
        close(stdoutFD)
    }

    /// The last lines the target wrote to standard error.
    public var lastStderrLines: [String] { stderrTail.lines }

    /// Nil while running; a phrase like `exited with status 1` or `was killed by signal 11 (SIGSEGV)` after.
    public func exitDescription() -> String? {
        lock.lock()
        defer { lock.unlock() }
        if exitStatus == nil {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status }
        }
        return exitStatus.map(Self.describe)
    }

    public var isRunning: Bool { exitDescription() == nil }

    /// Reads standard output until a JSON line with `"ready": true`; returns its `port` and `stats_port`.
    public func waitForReadyLine(timeout: Double) throws -> (port: Int, statsPort: Int?) {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let line = nextStdoutLine(until: deadline) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("{"), let obj = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else { continue }
                guard obj["ready"] as? Bool == true, let port = (obj["port"] as? NSNumber)?.intValue else {
                    throw TargetError.badReadyLine(trimmed)
                }
                readyFields = obj.compactMapValues { ($0 as? NSNumber)?.intValue }
                return (port, (obj["stats_port"] as? NSNumber)?.intValue)
            }
            if let status = exitDescription() {
                Thread.sleep(forTimeInterval: 0.05)
                throw TargetError.exitedBeforeReady(status: status, stderr: lastStderrLines)
            }
            if Date() >= deadline {
                throw TargetError.notReady(seconds: timeout, detail: "no ready line on standard output")
            }
        }
    }

    /// Waits until `host:port` accepts a TCP connection (for external targets without a ready line).
    public func waitForPort(host: String, port: Int, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = exitDescription() {
                Thread.sleep(forTimeInterval: 0.05)
                throw TargetError.exitedBeforeReady(status: status, stderr: lastStderrLines)
            }
            if TCPProbe.accepts(host: host, port: port) { return }
            if Date() >= deadline {
                throw TargetError.notReady(seconds: timeout, detail: "nothing accepted connections on \(host):\(port)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// SIGTERM, up to `timeout` seconds to exit, then SIGKILL; always reaps. Idempotent.
    @discardableResult
    public func stop(timeout: Double) -> String {
        if let done = exitDescription() { return done }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let done = exitDescription() { return done }
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(pid, SIGKILL)
        lock.lock()
        var status: Int32 = 0
        if exitStatus == nil, waitpid(pid, &status, 0) == pid { exitStatus = status }
        lock.unlock()
        return exitDescription() ?? "was killed"
    }

    private func nextStdoutLine(until deadline: Date) -> String? {
        while true {
            if let nl = stdoutBuffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: stdoutBuffer[..<nl], as: UTF8.self)
                stdoutBuffer.removeSubrange(...nl)
                return line
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var pfd = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            let n = poll(&pfd, 1, Int32(min(remaining, 0.1) * 1000) + 1)
            if n <= 0 { if n < 0 && errno != EINTR { return nil } else { continue } }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let got = read(stdoutFD, &chunk, chunk.count)
            if got <= 0 { return nil }
            stdoutBuffer.append(contentsOf: chunk[..<got])
        }
    }

    static func describe(_ status: Int32) -> String {
        let sig = status & 0x7f
        if sig == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let name = String(cString: strsignal(sig))
        return "was killed by signal \(sig) (\(name))"
    }
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let cstrings = strings.map { strdup($0) } + [nil]
    defer { cstrings.forEach { free($0) } }
    return body(cstrings)
}

/// Keeps the last lines read from a file descriptor, on a thread of its own, until end of file.
final class LineTail: @unchecked Sendable {
    private let fd: Int32
    private let keep: Int
    private let lock = NSLock()
    private var tail: [String] = []
    private var partial = [UInt8]()

    init(fd: Int32, keep: Int) {
        self.fd = fd
        self.keep = keep
    }

    func start() {
        let thread = Thread { [self] in
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &buf, buf.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                append(buf[..<n])
            }
            close(fd)
        }
        thread.name = "surge-target-stderr"
        thread.start()
    }

    private func append(_ bytes: ArraySlice<UInt8>) {
        lock.lock()
        defer { lock.unlock() }
        partial.append(contentsOf: bytes)
        while let nl = partial.firstIndex(of: UInt8(ascii: "\n")) {
            tail.append(String(decoding: partial[..<nl], as: UTF8.self))
            partial.removeSubrange(...nl)
            if tail.count > keep { tail.removeFirst(tail.count - keep) }
        }
        if partial.count > 4096 { partial.removeFirst(partial.count - 4096) }
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return partial.isEmpty ? tail : tail + [String(decoding: partial, as: UTF8.self)]
    }
}
