import CSurgeSys
import Foundation

/// CPU pinning with sched_setaffinity(2), for the `cpus:` key of a scenario.
public enum CPUAffinity {
    /// A thread's saved CPU mask (cpu_set_t is 128 bytes on Linux).
    struct SavedMask {
        var bytes = [UInt8](repeating: 0, count: 128)
    }

    /// Pins the calling thread to `cpus`, returning its previous mask; nil (and nothing changed) on failure.
    static func pinCurrentThread(to cpus: [Int]) -> SavedMask? {
        guard !cpus.isEmpty else { return nil }
        var saved = SavedMask()
        guard csurge_get_affinity(&saved.bytes, Int32(saved.bytes.count)) == 0 else { return nil }
        let list = cpus.map(Int32.init)
        guard csurge_set_affinity(0, list, Int32(list.count)) == 0 else { return nil }
        return saved
    }

    static func restoreCurrentThread(_ mask: SavedMask) {
        _ = csurge_restore_affinity(mask.bytes, Int32(mask.bytes.count))
    }

    /// Pins every thread of this process (and so the threads it creates later) to `cpus`.
    /// Returns an error text naming the CPUs when that is not possible.
    public static func pinProcess(to cpus: [Int]) -> String? {
        if let problem = validate(cpus) { return problem }
        let list = cpus.map(Int32.init)
        // A thread that was not pinned yet can create another while we scan; rescan until a pass
        // finds no thread we have not pinned.
        var pinned = Set<Int32>()
        while true {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            let fresh = tasks.compactMap(Int32.init).filter { !pinned.contains($0) }
            if fresh.isEmpty { break }
            for tid in fresh {
                // ESRCH: the thread exited since the scan.
                if csurge_set_affinity(tid, list, Int32(list.count)) != 0 && errno != ESRCH {
                    return "sched_setaffinity(\(cpus)): \(String(cString: strerror(errno)))"
                }
                pinned.insert(tid)
            }
        }
        return nil
    }

    /// Nil when every CPU exists, else what is wrong.
    public static func validate(_ cpus: [Int]) -> String? {
        let online = ProcessInfo.processInfo.activeProcessorCount
        if let bad = cpus.first(where: { $0 < 0 || $0 >= online }) {
            return "CPU \(bad) does not exist (this machine has CPUs 0-\(online - 1))"
        }
        return nil
    }
}
