/// The last resort for syscalls: /proc/PID/io's `syscr` and `syscw`, which count the read and
/// write families (read, readv, pread64, recv* through read paths, write, writev, pwrite64, ...)
/// for the whole process, exited threads included. No privileges beyond reading the target's
/// /proc entry; no total of all syscalls.
final class ProcIOCounter: SyscallCounter {
    let method = ProbeMethod.proc
    private let path: String
    private let pid: Int32

    init(pid: Int32) throws(ProbeError) {
        self.pid = pid
        path = "/proc/\(pid)/io"
        _ = try snapshot()
    }

    func snapshot() throws(ProbeError) -> [String: UInt64] {
        guard ProcFile.processExists(pid) else { throw .noSuchProcess(pid) }
        let values = try ProcFile.keyedValues(path)
        guard let reads = values["syscr"].flatMap(UInt64.init), let writes = values["syscw"].flatMap(UInt64.init) else {
            throw .unexpectedFormat(path: path, detail: "no syscr/syscw lines")
        }
        return ["syscalls.read-family": reads, "syscalls.write-family": writes]
    }

    func close() {}
}
