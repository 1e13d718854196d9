import Glibc

/// Reads the counters the preload library writes into the shared file of an `AllocationPreload`:
/// per-thread slots of (calls, bytes) for each function, summed here.
final class PreloadAllocationCounter: AllocationCounter {
    let method = ProbeMethod.preload
    private var base: UnsafeMutableRawPointer?

    /// True once a process has loaded the library and mapped the counters.
    var loaded: Bool { word(3) > 0 }

    init(preload: AllocationPreload, pid: Int32, requireLoaded: Bool = true) throws(ProbeError) {
        let fd = open(preload.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("open \(preload.path)") }
        defer { Glibc.close(fd) }
        guard let mapped = mmap(nil, AllocationPreload.fileBytes, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw .errno("mmap \(preload.path)")
        }
        base = mapped
        guard loaded || !requireLoaded else {
            close()
            throw .unavailable(method: "preload", reason: "process \(pid) did not load \(AllocationPreload.libraryName) (a static binary, or LD_PRELOAD was not passed to it)")
        }
    }

    private func word(_ index: Int) -> UInt64 {
        guard let base else { return 0 }
        return base.load(fromByteOffset: index * 8, as: UInt64.self)
    }

    func snapshot() throws(ProbeError) -> [String: AllocationCount] {
        guard let base else { throw .misuse("allocation counter used after close") }
        let used = min(Int(word(5)), AllocationPreload.slots)
        var result: [String: AllocationCount] = [:]
        for (index, function) in AllocationProbe.functions.enumerated() {
            var count = AllocationCount()
            for slot in 0..<used {
                let offset = AllocationPreload.headerBytes + slot * AllocationPreload.slotBytes + index * 16
                count.calls &+= base.load(fromByteOffset: offset, as: UInt64.self)
                count.bytes &+= base.load(fromByteOffset: offset + 8, as: UInt64.self)
            }
            result[function] = count
        }
        return result
    }

    func close() {
        if let base {
            munmap(base, AllocationPreload.fileBytes)
            self.base = nil
        }
    }

    deinit { close() }
}
