import Glibc

/// A target's process tree: the process and every descendant alive now, found through
/// /proc/PID/task/TID/children (each thread's children; the kernel lists them there). Surge
/// measures the whole tree by default (an nginx master with its workers, a shell script with the
/// commands it runs); `mainOnly` measures the one process.
package enum ProcessTree {
    /// The live descendants of `pid` (children, grandchildren, ...), parents before children.
    static func descendants(of pid: Int32) -> [Int32] {
        var result: [Int32] = []
        var queue = [pid]
        var seen: Set<Int32> = [pid]
        while !queue.isEmpty {
            let parent = queue.removeFirst()
            for tid in (try? ProcFile.threads(of: parent)) ?? [] {
                guard let text = try? ProcFile.read("/proc/\(parent)/task/\(tid)/children") else { continue }
                for word in text.split(separator: " ") {
                    guard let child = Int32(word.trimmingCharacters(in: .whitespacesAndNewlines)),
                          seen.insert(child).inserted else { continue }
                    result.append(child)
                    queue.append(child)
                }
            }
        }
        return result
    }

    /// `pid` followed by its live descendants, or `pid` alone when `mainOnly`.
    package static func members(of pid: Int32, mainOnly: Bool) -> [Int32] {
        mainOnly ? [pid] : [pid] + descendants(of: pid)
    }
}
