import Foundation

/// Every open `ProbeSession` of this process, so a Ctrl-C or SIGTERM path can detach them all
/// before exiting (`ProbeRegistry.closeAll()`). BPF programs, perf counters and uprobes attached
/// through the perf PMU are file descriptors, so the kernel also removes them if Surge is killed
/// outright; closing explicitly makes it immediate.
public final class ProbeRegistry: @unchecked Sendable {
    static let shared = ProbeRegistry()

    private let lock = NSLock()
    private var sessions: [ObjectIdentifier: WeakSession] = [:]

    private struct WeakSession { weak var session: ProbeSession? }

    func register(_ session: ProbeSession) {
        lock.lock()
        defer { lock.unlock() }
        sessions[ObjectIdentifier(session)] = WeakSession(session: session)
    }

    func unregister(_ session: ProbeSession) {
        lock.lock()
        defer { lock.unlock() }
        sessions[ObjectIdentifier(session)] = nil
    }

    /// Number of sessions still open.
    public static var openCount: Int {
        shared.lock.lock()
        defer { shared.lock.unlock() }
        return shared.sessions.values.filter { $0.session != nil }.count
    }

    private var said = Set<String>()

    /// The notices of `notices` not returned before by this process: a fallback and its reason
    /// are told once per run, not once per target start (notices that differ only in the pid of
    /// the target they were found on count as the same).
    public static func unsaid(_ notices: [String]) -> [String] {
        shared.lock.lock()
        defer { shared.lock.unlock() }
        var fresh: [String] = []
        for notice in notices where shared.said.insert(withoutPids(notice)).inserted { fresh.append(notice) }
        return fresh
    }

    /// `notice` with process ids ("pid 123", "/proc/123/") replaced by "N".
    static func withoutPids(_ notice: String) -> String {
        notice.replacingOccurrences(of: #"(pid |/proc/)[0-9]+"#, with: "$1N", options: .regularExpression)
    }

    /// Closes every open session.
    public static func closeAll() {
        shared.lock.lock()
        let open = shared.sessions.values.compactMap(\.session)
        shared.lock.unlock()
        for session in open { session.close() }
    }
}
