import CSurgeSys
import Glibc

/// One perf_event_open counting event per thread of each process of a tree, with `inherit` so
/// threads and processes they create later are counted in their creator's counter (exited ones'
/// counts stay in it; `threadsOnly` follows threads but not child processes); the sum over the
/// counters is the tree's count since attach. Threads alive at attach are found in
/// /proc/PID/task, rescanning until a pass finds no new one.
/// Not internally synchronised: used under `ProbeSession`'s lock (Sendable only so closes can run in parallel).
final class PerThreadPerfCounter: ContextSwitchCounter, @unchecked Sendable {
    private var fds: [Int32] = []
    let label: String
    let method = ProbeMethod.perf

    /// - Parameters:
    ///   - type, config: as in perf_event_attr (2/tracepoint id, 1/3 for context switches, ...).
    ///   - filter: a tracepoint filter such as "id == 1", or nil.
    init(pid: Int32, type: UInt32, config: UInt64, filter: String? = nil, label: String,
         mainOnly: Bool = false) throws(ProbeError) {
        self.label = label
        do throws(ProbeError) {
            for member in ProcessTree.members(of: pid, mainOnly: mainOnly) {
                do throws(ProbeError) {
                    try open(process: member, type: type, config: config, filter: filter, inherit: mainOnly ? 2 : 1)
                } catch {
                    if case .noSuchProcess = error, member != pid { continue }
                    throw error
                }
            }
        } catch {
            close()
            throw error
        }
        if fds.isEmpty { throw .noSuchProcess(pid) }
    }

    private func open(process: Int32, type: UInt32, config: UInt64, filter: String?, inherit: Int32) throws(ProbeError) {
        var seen = Set<Int32>()
        while true {
            let fresh = try ProcFile.threads(of: process).filter { !seen.contains($0) }
            if fresh.isEmpty { break }
            for tid in fresh {
                seen.insert(tid)
                let fd = surge_perf_counter_open(type, config, tid, inherit)
                if fd < 0 {
                    if errno == ESRCH { continue }
                    if errno == EACCES || errno == EPERM {
                        throw ProbeError.unavailable(method: "perf", reason: "perf_event_open(\(label)) refused (\(String(cString: strerror(errno)))); needs root or CAP_PERFMON")
                    }
                    throw ProbeError.errno("perf_event_open(\(label), tid \(tid))")
                }
                fds.append(fd)
                if let filter, surge_perf_set_filter(fd, filter) != 0 {
                    throw ProbeError.errno("PERF_EVENT_IOC_SET_FILTER \(filter)")
                }
            }
        }
    }

    /// The count since attach, summed over the per-thread counters.
    func read() throws(ProbeError) -> UInt64 {
        var total: UInt64 = 0
        for fd in fds {
            var value: UInt64 = 0
            if surge_perf_read(fd, &value) != 0 { throw .errno("read(perf counter \(label))") }
            total &+= value
        }
        return total
    }

    /// Closes every counter, in parallel (each close of a tracepoint event waits for an RCU grace period).
      func close() {
          let closing = fds
          fds = []
          ParallelClose.run(closing.map { fd in { @Sendable in _ = Glibc.close(fd) } })
      }

      deinit { close() }
  }
