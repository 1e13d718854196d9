import Glibc

/// Reads the counters the preload library writes into the shared file of an `AllocationPreload`:
/// per-thread slots of (calls, bytes) for each function, each slot tagged with its process's pid,
/// summed here over the target's process tree (every process that inherited the library), or over
/// one process (`mainOnly`).
final class PreloadAllocationCounter: AllocationCounter {
    let method = ProbeMethod.preload
    private var base: UnsafeMutableRawPointer?
    private let pid: Int32
    private let mainOnly: Bool

    /// True once a process has loaded the library and mapped the counters.
    var loaded: Bool { word(3) > 0 }

    /// - Parameter requireMapped: check that `pid` itself has the library mapped now (its own
    ///   /proc/PID/maps): a wrapper that loaded it and then exec'd the real target without
    ///   LD_PRELOAD would otherwise read as zero allocations.
    init(preload: AllocationPreload, pid: Int32, mainOnly: Bool, requireMapped: Bool = true) throws(ProbeError) {
        self.pid = pid
        self.mainOnly = mainOnly
        if requireMapped, !Self.isMapped(preload.library, in: pid) {
            throw .unavailable(method: "preload", reason: Self.notMappedReason(pid: pid))
        }
        let fd = open(preload.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("open \(preload.path)") }
        defer { Glibc.close(fd) }
        guard let mapped = mmap(nil, AllocationPreload.fileBytes, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw .errno("mmap \(preload.path)")
        }
        base = mapped
    }

    static func notMappedReason(pid: Int32) -> String {
        "\(ProcFile.commandName(pid)) (pid \(pid)) does not have \(AllocationPreload.libraryName) mapped (/proc/\(pid)/maps): "
            + "it is statically linked, or a wrapper dropped LD_PRELOAD before exec'ing it"
    }

    /// True when `library` (or any copy of the counter library) is mapped in `pid`.
    static func isMapped(_ library: String, in pid: Int32) -> Bool {
        guard let maps = try? ProcFile.read("/proc/\(pid)/maps") else { return false }
        return maps.contains(library) || maps.contains("/" + AllocationPreload.libraryName)
    }

    private func word(_ index: Int) -> UInt64 {
        guard let base else { return 0 }
        return base.load(fromByteOffset: index * 8, as: UInt64.self)
    }

    /// Counts by process id (0: threads beyond the slot count, whose process is unknown).
    func snapshotByProcess() throws(ProbeError) -> [Int32: [String: AllocationCount]]? {
        guard let base else { throw .misuse("allocation counter used after close") }
        let used = min(Int(word(5)), AllocationPreload.slots)
        var result: [Int32: [String: AllocationCount]] = [:]
        for slot in 0..<used {
            let start = AllocationPreload.headerBytes + slot * AllocationPreload.slotBytes
            let owner = Int32(truncatingIfNeeded: base.load(fromByteOffset: start, as: UInt64.self))
            var counts = result[owner] ?? [:]
            for (index, function) in AllocationProbe.functions.enumerated() {
                let offset = start + (AllocationPreload.slotHeaderWords + index * 2) * 8
                var count = counts[function] ?? AllocationCount()
                count.calls &+= base.load(fromByteOffset: offset, as: UInt64.self)
                count.bytes &+= base.load(fromByteOffset: offset + 8, as: UInt64.self)
                counts[function] = count
            }
            result[owner] = counts
        }
        return result
    }

    func snapshot() throws(ProbeError) -> [String: AllocationCount] {
        var total: [String: AllocationCount] = [:]
        for (owner, counts) in try snapshotByProcess() ?? [:] where !mainOnly || owner == pid {
            for (function, count) in counts {
                total[function, default: AllocationCount()].calls &+= count.calls
                total[function, default: AllocationCount()].bytes &+= count.bytes
            }
        }
        return total
    }

    func close() {
        if let base {
            munmap(base, AllocationPreload.fileBytes)
            self.base = nil
        }
    }

    deinit { close() }
}
