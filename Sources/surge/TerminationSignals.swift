import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM for `surge serve`, caught from the moment `install()` returns: a C handler
/// writes the signal number to a pipe (async-signal-safe), a thread reads it and wakes `wait()`.
/// Installed before the ready line is printed, so a signal sent right after that line is never lost
/// (it used to be: the handlers went in after the line, and a signal in between was ignored).
/// A second signal ends the process at once, and so does a stop that takes longer than `stopLimit`.
final class TerminationSignals: Sendable {
    private struct State {
        var received: Int32?
        var waiter: CheckedContinuation<Int32, Never>?
    }

    /// The pipe's write end, read by the signal handler; set once before any handler is installed.
    private static let writeEnd = Atomic<Int32>(-1)
    private let state = Mutex(State())
    private let stopLimit: Double

    private init(stopLimit: Double) {
        self.stopLimit = stopLimit
    }

    /// Installs the handlers and starts the thread that reads the pipe.
    static func install(stopLimit: Double = 10) throws -> TerminationSignals {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        writeEnd.store(fds[1], ordering: .sequentiallyConsistent)
        let signals = TerminationSignals(stopLimit: stopLimit)
        let readEnd = fds[0]
        let reader = Thread { signals.readLoop(readEnd) }
        reader.name = "surge-signals"
        reader.start()
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(TerminationSignals.writeEnd.load(ordering: .relaxed), &byte, 1)
            }
        }
        return signals
    }

    /// Suspends until SIGINT or SIGTERM arrives (at once if one already has); returns the signal.
    func wait() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let early: Int32? = state.withLock { s in
                if let r = s.received { return r }
                s.waiter = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }
    }

    private func readLoop(_ fd: Int32) {
        var count = 0
        while true {
            var byte: UInt8 = 0
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            count += 1
            if count > 1 {
                FileHandle.standardError.write(Data("surge serve: second signal, exiting now\n".utf8))
                _exit(128 + Int32(byte))
            }
            let waiter: CheckedContinuation<Int32, Never>? = state.withLock { s in
                s.received = Int32(byte)
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: Int32(byte))
            let limit = stopLimit
            let number = Int32(byte)
            DispatchQueue.global().asyncAfter(deadline: .now() + limit) {
                FileHandle.standardError.write(Data("surge serve: stopping took over \(limit)s, exiting\n".utf8))
                _exit(128 + number)
            }
        }
    }
}
