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

    init(_ kind: Kind, name: String, keySize: Int, valueSize: Int, entries: Int) throws(ProbeError) {
        let fd = bcc_create_map(bpf_map_type(rawValue: kind.rawValue), name, Int32(keySize), Int32(valueSize), Int32(entries), 0)
        guard fd >= 0 else {
            if errno == EPERM { throw .unavailable(method: "bpf", reason: "the kernel refused to create a BPF map (EPERM); needs root or CAP_BPF") }
            throw .errno("bcc_create_map(\(name))")
        }
        self.fd = fd
        self.kind = kind
        self.valueSize = valueSize
        self.entries = entries
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
    /// result[key * wordsPerValue + word].
    func readArraySums() throws(ProbeError) -> [UInt64] {
        let words = valueSize / 8
        let cpus = kind == .perCPUArray ? Self.possibleCPUs : 1
        var result = [UInt64](repeating: 0, count: entries * words)
        var buffer = [UInt64](repeating: 0, count: words * cpus)
        for key in 0..<entries {
            var k = UInt32(key)
            let rc = buffer.withUnsafeMutableBytes { bcc_lookup(fd, &k, $0.baseAddress) }
            if rc != 0 { throw .errno("bpf_lookup_elem") }
            for cpu in 0..<cpus {
                for w in 0..<words { result[key * words + w] &+= buffer[cpu * words + w] }
            }
        }
        return result
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { close() }
}

private func bcc_lookup(_ fd: Int32, _ key: UnsafeMutablePointer<UInt32>, _ value: UnsafeMutableRawPointer?) -> Int32 {
    bpf_lookup_elem(fd, key, value)
}
