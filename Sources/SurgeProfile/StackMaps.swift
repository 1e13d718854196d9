import CBCC
import Glibc
import SurgeProbes

/// The two maps every stack profile uses: a stack-trace map (stack id → up to 127 return
/// addresses, innermost first) and a hash map from a 16-byte key {tgid u32, user stack id s32,
/// kernel stack id s32, 0 u32} (allocations add a u64 caller address: 24 bytes) to u64 words
/// (a count, a time, or calls and bytes).
final class StackMaps {
    static let maxDepth = 127
    let stacks: Int32
    let counts: Int32
    let keySize: Int
    let valueWords: Int

    init(name: String, keySize: Int, valueWords: Int, entries: Int = 16384) throws(ProfileError) {
        let stacks = bcc_create_map(BPF_MAP_TYPE_STACK_TRACE, "\(name)_st", 4, Int32(8 * Self.maxDepth), Int32(entries), 0)
        guard stacks >= 0 else { throw Self.failure("stack-trace map") }
        let counts = bcc_create_map(BPF_MAP_TYPE_HASH, "\(name)_n", Int32(keySize), Int32(8 * valueWords), Int32(entries), 0)
        guard counts >= 0 else {
            let error = Self.failure("hash map")
            Glibc.close(stacks)
            throw error
        }
        self.stacks = stacks
        self.counts = counts
        self.keySize = keySize
        self.valueWords = valueWords
    }

    static func failure(_ what: String) -> ProfileError {
        let code = errno
        if code == EPERM {
            return .probe(.unavailable(method: "bpf", reason: "the kernel refused to create a BPF \(what) (EPERM); needs root or CAP_BPF"))
        }
        return .probe(.systemCall("bcc_create_map(\(what))", errno: code))
    }

    /// One entry of the counts map.
    struct Entry {
        var tgid: UInt32
        var userStack: Int32
        var kernelStack: Int32
        var caller: UInt64
        var values: [UInt64]
    }

    /// Every entry of the counts map.
    func entries() -> [Entry] {
        var result: [Entry] = []
        var key = [UInt8](repeating: 0, count: keySize)
        var next = [UInt8](repeating: 0, count: keySize)
        var value = [UInt64](repeating: 0, count: valueWords)
        var first = true
        while true {
            let rc = first ? bpf_get_first_key(counts, &next, keySize) : bpf_get_next_key(counts, &key, &next)
            if rc != 0 { break }
            first = false
            if bpf_lookup_elem(counts, &next, &value) == 0 {
                let words = next.withUnsafeBytes { raw in
                    (raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self), raw.loadUnaligned(fromByteOffset: 4, as: Int32.self),
                     raw.loadUnaligned(fromByteOffset: 8, as: Int32.self),
                     keySize >= 24 ? raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self) : 0)
                }
                result.append(Entry(tgid: words.0, userStack: words.1, kernelStack: words.2, caller: words.3, values: value))
            }
            key = next
        }
        return result
    }

    /// The addresses of stack `id`, innermost first; nil for a negative id (no stack: -EFAULT for
    /// a kernel stack of a sample taken in user mode; -EEXIST when the stack map's bucket was taken).
    func stack(_ id: Int32) -> [UInt64]? {
        guard id >= 0 else { return nil }
        var ips = [UInt64](repeating: 0, count: Self.maxDepth)
        var key = UInt32(bitPattern: id)
        guard bpf_lookup_elem(stacks, &key, &ips) == 0 else { return nil }
        return Array(ips.prefix { $0 != 0 })
    }

    func close() {
        Glibc.close(stacks)
        Glibc.close(counts)
    }
}

/// Code shared by the profile programs.
enum StackProgram {
    static let userStackFlag: Int32 = 1 << 8  // BPF_F_USER_STACK

    /// Writes the key {tgid, user stack id, kernel stack id (or -14: none), 0} at `key` on the stack.
    /// `ctx` holds the program's context, `tgid` the process id (both registers helpers keep).
    static func emitKey(_ p: inout BPFProgram, maps: StackMaps, ctx: BPFRegister, tgid: BPFRegister, key: Int16, kernel: Bool) {
        p.storeW(.r10, key, tgid)
        p.mov(.r1, ctx)
        p.loadMapFD(.r2, maps.stacks)
        p.mov(.r3, userStackFlag)
        p.call(.getStackID)
        p.storeW(.r10, key + 4, .r0)
        if kernel {
            p.mov(.r1, ctx)
            p.loadMapFD(.r2, maps.stacks)
            p.mov(.r3, 0)
            p.call(.getStackID)
            p.storeW(.r10, key + 8, .r0)
        } else {
            p.storeW(.r10, key + 8, immediate: -14)
        }
        p.storeW(.r10, key + 12, immediate: 0)
    }

    /// counts[key][i] += registers[i] (atomically), inserting the entry when it is new. `value` is
    /// scratch stack space for 8 × registers.count bytes. Uses r0–r5; jumps to `done` at the end.
    static func emitAdd(_ p: inout BPFProgram, maps: StackMaps, key: Int16, value: Int16, add registers: [BPFRegister], prefix: String) {
        p.loadMapFD(.r1, maps.counts)
        p.mov(.r2, .r10)
        p.add(.r2, Int32(key))
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "\(prefix)_new")
        for (i, register) in registers.enumerated() { p.atomicAddDW(.r0, Int16(8 * i), register) }
        p.jump(to: "\(prefix)_done")
        p.label("\(prefix)_new")
        for (i, register) in registers.enumerated() { p.storeDW(.r10, value + Int16(8 * i), register) }
        p.loadMapFD(.r1, maps.counts)
        p.mov(.r2, .r10)
        p.add(.r2, Int32(key))
        p.mov(.r3, .r10)
        p.add(.r3, Int32(value))
        p.mov(.r4, 0)
        p.call(.mapUpdateElem)
        p.label("\(prefix)_done")
    }
}
