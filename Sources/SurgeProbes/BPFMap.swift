import CBCC
import Glibc

/// An eBPF map created through libbcc, closed on `close()`. Keys are u32 indexes for arrays or u64
/// for the hash maps used here.
final class BPFMap: @unchecked Sendable {
    enum Kind: UInt32 { case hash = 1, array = 2, perCPUArray = 6 }

    private(set) var fd: Int32
    let kind: Kind
    let valueSize: Int
    let entries: Int

    /// For an array created `mappable`: its values, shared with the kernel (read without syscalls).
    private var mapping: UnsafeMutableRawPointer?
    private var mappingBytes = 0
    static let mmapableFlag: Int32 = 1 << 10  // BPF_F_MMAPABLE

    init(_ kind: Kind, name: String, keySize: Int, valueSize: Int, entries: Int, mappable: Bool = false) throws(ProbeError) {
        let flags = mappable && kind == .array ? Self.mmapableFlag : 0
        let fd = bcc_create_map(bpf_map_type(rawValue: kind.rawValue), name, Int32(keySize), Int32(valueSize), Int32(entries), flags)
        guard fd >= 0 else {
            if errno == EPERM { throw .unavailable(method: "bpf", reason: "the kernel refused to create a BPF map (EPERM); needs root or CAP_BPF") }
            throw .errno("bcc_create_map(\(name))")
        }
        self.fd = fd
        self.kind = kind
        self.valueSize = valueSize
        self.entries = entries
        if flags != 0 {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let bytes = (entries * valueSize + page - 1) / page * page
            guard let p = mmap(nil, bytes, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
                let error = ProbeError.errno("mmap(bpf map \(name))")
                Glibc.close(fd)
                self.fd = -1
                throw error
            }
            mapping = p
            mappingBytes = bytes
        }
    }

    /// Number of possible CPUs (per-CPU maps return one value per possible CPU).
    static let possibleCPUs: Int = {
        guard let text = try? ProcFile.read("/sys/devices/system/cpu/possible") else { return sysconf(Int32(_SC_NPROCESSORS_CONF)) }
        var highest = 0
        for part in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            if let last = part.split(separator: "-").last, let n = Int(last) { highest = max(highest, n) }
        }
        return highest + 1
    }()

    /// Reads u64 words of every entry of an array map, summed over CPUs for a per-CPU array:
    /// result[key * wordsPerValue + word]. Uses one BPF_MAP_LOOKUP_BATCH call per 4096 entries
    /// when the kernel has it, else one lookup per key.
    func readArraySums() throws(ProbeError) -> [UInt64] {
        let words = valueSize / 8
        let cpus = kind == .perCPUArray ? Self.possibleCPUs : 1
        var result = [UInt64](repeating: 0, count: entries * words)
        if let mapping {
            result.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: mapping, count: entries * valueSize)) }
            return result
        }
        if batchWorks, let raw = try? readBatched(words: words, cpus: cpus) {
            raw.withUnsafeBufferPointer { source in
                result.withUnsafeMutableBufferPointer { sums in
                    for key in 0..<entries {
                        for cpu in 0..<cpus {
                            let from = (key * cpus + cpu) * words
                            for w in 0..<words { sums[key * words + w] &+= source[from + w] }
                        }
                    }
                }
            }
            return result
        }
        batchWorks = false
        var buffer = [UInt64](repeating: 0, count: words * cpus)
        for key in 0..<entries {
            var k = UInt32(key)
            let rc = buffer.withUnsafeMutableBytes { bpf_lookup_elem(fd, &k, $0.baseAddress) }
            if rc != 0 { throw .errno("bpf_lookup_elem") }
            for cpu in 0..<cpus {
                for w in 0..<words { result[key * words + w] &+= buffer[cpu * words + w] }
            }
        }
        return result
    }

    private(set) var batchWorks = true

    /// Raw values of all entries in key order: [(key * cpus + cpu) * words + word].
    private func readBatched(words: Int, cpus: Int) throws(ProbeError) -> [UInt64] {
        var values = [UInt64](repeating: 0, count: entries * cpus * words)
        var keys = [UInt32](repeating: 0, count: entries)
        var done = 0
        var position: UInt32 = 0
        var first = true
        while done < entries {
            var count = UInt32(min(4096, entries - done))
            var next: UInt32 = 0
            let rc = keys.withUnsafeMutableBufferPointer { keyBuffer in
                values.withUnsafeMutableBufferPointer { valueBuffer in
                    withUnsafeMutablePointer(to: &position) { positionPointer in
                        bpf_lookup_batch(fd, first ? nil : positionPointer, &next,
                                         keyBuffer.baseAddress! + done,
                                         valueBuffer.baseAddress! + done * cpus * words, &count)
                    }
                }
            }
            let code = errno
            if rc != 0 && code != ENOENT { throw .systemCall("bpf_lookup_batch", errno: code) }
            done += Int(count)
            if count == 0 || (rc != 0 && code == ENOENT) { break }
            position = next
            first = false
        }
        guard done == entries, keys.last == UInt32(entries - 1) else {
            throw .unexpectedFormat(path: "bpf map \(fd)", detail: "batch lookup returned \(done) of \(entries) entries")
        }
        return values
    }

    /// Sets `key` (u32) to `value` (u64) in a hash or array map.
    func update(key: UInt32, value: UInt64) throws(ProbeError) {
        var k = key, v = value
        guard bpf_update_elem(fd, &k, &v, 0) == 0 else { throw .errno("bpf_update_elem") }
    }

    /// Every entry of a hash map with u32 keys and u64 values.
    func u32Entries() throws(ProbeError) -> [UInt32: UInt64] {
        var result: [UInt32: UInt64] = [:]
        var key: UInt32 = 0, next: UInt32 = 0
        var first = true
        while true {
            let rc = first ? bpf_get_first_key(fd, &next, 4) : bpf_get_next_key(fd, &key, &next)
            if rc != 0 { break }
            first = false
            var value: UInt64 = 0
            if bpf_lookup_elem(fd, &next, &value) == 0 { result[next] = value }
            key = next
        }
        return result
    }

    func close() {
        if let mapping {
            munmap(mapping, mappingBytes)
            self.mapping = nil
        }
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { close() }
}
