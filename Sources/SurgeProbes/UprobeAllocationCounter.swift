import CBCC
import Foundation
import Glibc

/// Counts a running process's malloc-family calls with one BPF uprobe program per function on the
/// target's libc (attached with the target's pid, so every thread of it, including later ones, is
/// counted and no other process is). Each program adds 1 call and the requested size (read from
/// the argument registers) to a per-CPU array slot. ~1 µs per call: profile passes only.
///
/// Probe offsets are read from the library at run time: an entry instruction that the kernel would
/// single-step instead of emulate (`test %rdi,%rdi` at `free`, a RIP-relative `cmpb` at
/// `posix_memalign`/`memalign`) is skipped, probing the next instruction, which every call reaches.
/// x86_64 only (argument registers are read from `struct pt_regs`).
final class UprobeAllocationCounter: AllocationCounter {
    let method = ProbeMethod.uprobe
    private(set) var notices: [String] = []

    private let counts: BPFMap
    private var programs: [Int32] = []
    private var links: [(fd: Int32, event: String)] = []
    /// Function name by map slot; functions sharing an address (aligned_alloc, memalign) share one.
    private var slotNames: [String] = []

    /// pt_regs offsets of the first three integer arguments (rdi, rsi, rdx).
    private enum Argument: Int16 { case first = 112, second = 104, third = 96 }

    private struct Target {
        let name: String
        let size: [Argument]   // product of these arguments; empty for free
    }

    private static let targets = [
        Target(name: "malloc", size: [.first]),
        Target(name: "calloc", size: [.first, .second]),
        Target(name: "realloc", size: [.second]),
        Target(name: "free", size: []),
        Target(name: "posix_memalign", size: [.third]),
        Target(name: "aligned_alloc", size: [.second]),
        Target(name: "memalign", size: [.second]),
        Target(name: "valloc", size: [.first]),
    ]

    init(pid: Int32, libc: String) throws(ProbeError) {
        #if !arch(x86_64)
        throw ProbeError.unavailable(method: "uprobe", reason: "argument registers are only known for x86_64")
        #endif
        counts = try BPFMap(.perCPUArray, name: "surge_alloc", keySize: 4, valueSize: 16, entries: Self.targets.count)
        do throws(ProbeError) {
            var seenOffsets: [UInt64: String] = [:]
            for target in Self.targets {
                guard let entry = Self.symbolOffset(libc: libc, symbol: target.name, pid: pid) else { continue }
                if let shared = seenOffsets[entry] {
                    notices.append("allocations (uprobe): \(target.name) and \(shared) are the same function in \(libc); counted as \(shared)")
                    continue
                }
                seenOffsets[entry] = target.name
                let skip = Self.fastProbeSkip(libc: libc, offset: entry)
                if skip.slowEntry {
                    notices.append("allocations (uprobe): the first instruction of \(target.name) is single-stepped (~14 µs per call); no safe later instruction found")
                }
                let slot = Int32(slotNames.count)
                slotNames.append(target.name)
                let program = try Self.program(slot: slot, size: target.size, map: counts.fd)
                    .load(type: .kprobe, name: "surge_\(target.name)".prefix(15).description)
                programs.append(program)
                let event = "surge_\(getpid())_\(pid)_\(target.name)"
                let fd = bpf_attach_uprobe(program, BPF_PROBE_ENTRY, event, libc, entry + skip.bytes, pid, 0)
                guard fd >= 0 else { throw ProbeError.errno("bpf_attach_uprobe(\(target.name) in \(libc), pid \(pid))") }
                links.append((fd, event))
            }
            guard !links.isEmpty else { throw ProbeError.unavailable(method: "uprobe", reason: "no malloc-family symbols found in \(libc)") }
        } catch {
            close()
            throw error
        }
    }

    /// counts[slot].calls += 1; counts[slot].bytes += product of the size arguments.
    private static func program(slot: Int32, size: [Argument], map: Int32) throws(ProbeError) -> BPFProgram {
        var p = BPFProgram()
        if size.isEmpty {
            p.mov(.r6, 0)
        } else {
            p.loadDW(.r6, .r1, size[0].rawValue)
            for argument in size.dropFirst() {
                p.loadDW(.r2, .r1, argument.rawValue)
                p.mul(.r6, .r2)
            }
        }
        p.storeW(.r10, -4, immediate: slot)
        p.mov(.r2, .r10)
        p.add(.r2, -4)
        p.loadMapFD(.r1, map)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.loadDW(.r1, .r0, 0)
        p.add(.r1, 1)
        p.storeDW(.r0, 0, .r1)
        p.loadDW(.r1, .r0, 8)
        p.add(.r1, .r6)
        p.storeDW(.r0, 8, .r1)
        p.label("out")
        p.mov(.r0, 0)
        p.exit()
        return p
    }

    /// File offset of `symbol` in `libc` as libbcc resolves it for the target.
    static func symbolOffset(libc: String, symbol: String, pid: Int32) -> UInt64? {
        var sym = bcc_symbol()
        guard bcc_resolve_symname(libc, symbol, 0, pid, nil, &sym) == 0 else { return nil }
        defer { if let module = sym.module { free(UnsafeMutableRawPointer(mutating: module)) } }
        return sym.offset
    }

    /// How many bytes to skip past the entry so the uprobe lands on an emulated instruction.
    static func fastProbeSkip(libc: String, offset: UInt64) -> (bytes: UInt64, slowEntry: Bool) {
        guard let handle = FileHandle(forReadingAtPath: libc) else { return (0, false) }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: 8), data.count == 8 else { return (0, false) }
        let b = [UInt8](data)
        if b[0] == 0x48, b[1] == 0x85, b[2] == 0xff { return (3, false) }            // test %rdi,%rdi
        if b[0] == 0x80, b[1] == 0x3d, b[6] == 0x00 { return (7, false) }            // cmpb $0x0,disp32(%rip)
        if b[0] == 0x48, b[1] == 0x85 { return (0, true) }                           // other test r64,r64
        return (0, false)
    }

    func snapshot() throws(ProbeError) -> [String: AllocationCount] {
        let words = try counts.readArraySums()
        var result: [String: AllocationCount] = [:]
        for (slot, name) in slotNames.enumerated() {
            result[name] = AllocationCount(calls: words[slot * 2], bytes: words[slot * 2 + 1])
        }
        return result
    }

    func close() {
        // Each uprobe's detach waits for an RCU grace period (~100 ms): detach them in parallel.
        ParallelClose.run(links.map { link in
            { @Sendable in
                Glibc.close(link.fd)
                _ = bpf_detach_uprobe(link.event)
            }
        })
        links = []
        for program in programs { Glibc.close(program) }
        programs = []
        counts.close()
    }

    deinit { close() }
}
