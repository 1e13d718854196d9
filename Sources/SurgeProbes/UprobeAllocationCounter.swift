import CBCC
import Foundation
import Glibc

/// Counts running processes' malloc-family calls with BPF uprobe programs on the allocator library
/// they call (glibc, or a replacement such as jemalloc), attached per process (so every thread of
/// it, including later ones, is counted and no other process is). Programs add 1 call and the
/// requested size (read from the argument registers) to a per-CPU array slot. ~1–2 µs per call:
/// profile passes only.
///
/// Outermost calls only, as valgrind counts them: glibc's aligned allocators call malloc inside
/// (alignment ≤ 16), realloc(NULL, n) calls malloc and realloc(p, 0) calls free. A per-thread depth
/// (hash map keyed by pid_tgid) is raised on entry to a function that can nest and lowered by a
/// return probe on it; a call that finds the depth above zero is not counted. malloc, calloc and
/// free nest nothing, so they need no return probe. realloc is split as the preload library splits
/// it (see SurgeAllocCounter.h): an allocation when n > 0 or p == NULL, a release when p != NULL.
///
/// Probe offsets are read from the library at run time: an entry instruction that the kernel would
/// single-step instead of emulate (`test %rdi,%rdi` at `free`, a RIP-relative `cmpb` at
/// `posix_memalign`/`memalign`) is skipped, probing the next instruction, which every call reaches
/// with the stack pointer unchanged (so a return probe there still finds the return address).
/// x86_64 only (argument registers are read from `struct pt_regs`).
final class UprobeAllocationCounter: AllocationCounter {
    let method = ProbeMethod.uprobe
    private(set) var notices: [String] = []

    private let counts: BPFMap
    private let depth: BPFMap
    private var programs: [Int32] = []
    private var links: [(fd: Int32, event: String)] = []
    /// Programs per probed function (entry, and return for the nesting ones), for later members.
    private var loaded: [(entry: Int32, exit: Int32?, name: String, offset: UInt64)] = []
    private var attached = Set<Int32>()
    private let library: String
    private let main: Int32

    /// pt_regs offsets of the first three integer arguments (rdi, rsi, rdx).
    private enum Argument: Int16 { case first = 112, second = 104, third = 96 }

    private enum Kind { case leaf, nesting, realloc, free }

    private struct Target {
        let name: String
        let size: [Argument]   // product of these arguments; empty for free
        let kind: Kind
    }

    private static let targets = [
        Target(name: "malloc", size: [.first], kind: .leaf),
        Target(name: "calloc", size: [.first, .second], kind: .leaf),
        Target(name: "realloc", size: [.second], kind: .realloc),
        Target(name: "free", size: [], kind: .free),
        Target(name: "posix_memalign", size: [.third], kind: .nesting),
        Target(name: "aligned_alloc", size: [.second], kind: .nesting),
        Target(name: "memalign", size: [.second], kind: .nesting),
        Target(name: "valloc", size: [.first], kind: .nesting),
        Target(name: "pvalloc", size: [.first], kind: .nesting),
    ]

    static func slot(_ function: String) -> Int32 { Int32(AllocationProbe.functions.firstIndex(of: function)!) }

    /// Attaches to every process of `pids` (the first is the main one; a process that has exited
    /// meanwhile is skipped).
    init(pids: [Int32], library: String) throws(ProbeError) {
        #if !arch(x86_64)
        throw ProbeError.unavailable(method: "uprobe", reason: "argument registers are only known for x86_64")
        #endif
        guard let main = pids.first else { throw .invalidArgument("no process to attach uprobes to") }
        self.main = main
        self.library = library
        counts = try BPFMap(.perCPUArray, name: "surge_alloc", keySize: 4, valueSize: 16, entries: AllocationProbe.functions.count)
        do {
            depth = try BPFMap(.hash, name: "surge_alloc_dep", keySize: 8, valueSize: 8, entries: 16384)
        } catch {
            counts.close()
            throw error
        }
        if !(library.split(separator: "/").last ?? "").hasPrefix("libc") {
            notices.append("allocations (uprobe): counting calls into \(library), the allocator the target loads instead of glibc's malloc")
        }
        do throws(ProbeError) {
            var seenOffsets: [UInt64: String] = [:]
            var attachments: [(target: Target, offset: UInt64)] = []
            for target in Self.targets {
                guard let entry = Self.symbolOffset(library: library, symbol: target.name, pid: main) else { continue }
                if let shared = seenOffsets[entry] {
                    notices.append("allocations (uprobe): \(target.name) and \(shared) are the same function in \(library); counted as \(shared)")
                    continue
                }
                seenOffsets[entry] = target.name
                let skip = Self.fastProbeSkip(library: library, offset: entry)
                if skip.slowEntry {
                    notices.append("allocations (uprobe): the first instruction of \(target.name) is single-stepped (~14 µs per call); no safe later instruction found")
                }
                attachments.append((target, entry + skip.bytes))
            }
            guard !attachments.isEmpty else {
                throw ProbeError.unavailable(method: "uprobe", reason: "no malloc-family symbols found in \(library)")
            }
            for (target, offset) in attachments {
                let entry = try Self.entryProgram(target, counts: counts.fd, depth: depth.fd)
                    .load(type: .kprobe, name: "surge_\(target.name)".prefix(15).description)
                programs.append(entry)
                var exit: Int32?
                if target.kind == .nesting || target.kind == .realloc {
                    let program = try Self.returnProgram(depth: depth.fd).load(type: .kprobe, name: "surge_alloc_ret")
                    programs.append(program)
                    exit = program
                }
                loaded.append((entry, exit, target.name, offset))
            }
            try follow(pids)
        } catch {
            close()
            throw error
        }
    }

    private enum Edge { case entry, exit }

    /// Attaches the probes to the processes of `pids` not probed yet (members of the tree that
    /// appeared since attach: uprobes do not follow forks by themselves). One that has exited
    /// meanwhile is skipped.
    func follow(_ pids: [Int32]) throws(ProbeError) {
        for pid in pids where !attached.contains(pid) {
            do throws(ProbeError) {
                for item in loaded {
                    try attach(item.entry, .entry, item.name, library: library, offset: item.offset, pid: pid)
                    if let exit = item.exit { try attach(exit, .exit, item.name, library: library, offset: item.offset, pid: pid) }
                }
                attached.insert(pid)
            } catch {
                if pid == main || ProcFile.processExists(pid) { throw error }
            }
        }
    }

    private func attach(_ program: Int32, _ edge: Edge, _ function: String, library: String, offset: UInt64, pid: Int32) throws(ProbeError) {
        let event = "surge_\(getpid())_\(pid)_\(function)\(edge == .exit ? "_r" : "")"
        let type = edge == .entry ? BPF_PROBE_ENTRY : BPF_PROBE_RETURN
        let fd = bpf_attach_uprobe(program, type, event, library, offset, pid, 0)
        guard fd >= 0 else { throw ProbeError.errno("bpf_attach_uprobe(\(function) in \(library), pid \(pid))") }
        links.append((fd, event))
    }

    /// r6 = ctx; depth lookup for this thread; nested calls return early; then the counting.
    private static func entryProgram(_ target: Target, counts: Int32, depth: Int32) throws(ProbeError) -> BPFProgram {
        var p = BPFProgram()
        p.mov(.r6, .r1)
        if target.kind == .free {
            p.loadDW(.r7, .r6, Argument.first.rawValue)
            p.jumpIfEqual(.r7, 0, to: "out")           // free(NULL) is not counted
        }
        p.call(.getCurrentPidTgid)
        p.storeDW(.r10, -8, .r0)
        p.loadMapFD(.r1, depth)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.call(.mapLookupElem)
        switch target.kind {
        case .leaf, .free:
            p.jumpIfEqual(.r0, 0, to: "count")
            p.loadDW(.r1, .r0, 0)
            p.jumpIfNotEqual(.r1, 0, to: "out")       // inside realloc or an aligned allocator
        case .nesting, .realloc:
            p.jumpIfEqual(.r0, 0, to: "fresh")
            p.loadDW(.r1, .r0, 0)
            p.mov(.r2, .r1)
            p.add(.r2, 1)
            p.storeDW(.r0, 0, .r2)
            p.jumpIfNotEqual(.r1, 0, to: "out")
            p.jump(to: "count")
            p.label("fresh")
            p.mov(.r1, 1)
            p.storeDW(.r10, -16, .r1)
            p.loadMapFD(.r1, depth)
            p.mov(.r2, .r10)
            p.add(.r2, -8)
            p.mov(.r3, .r10)
            p.add(.r3, -16)
            p.mov(.r4, 0)
            p.call(.mapUpdateElem)
        }
        p.label("count")
        switch target.kind {
        case .realloc:
            // p != NULL: a block released; n > 0 or p == NULL: an allocation of n bytes.
            p.loadDW(.r7, .r6, Argument.first.rawValue)
            p.jumpIfEqual(.r7, 0, to: "allocates")
            add(&p, slot: slot("realloc-frees"), size: [], counts: counts, label: "released")
            p.loadDW(.r1, .r6, Argument.second.rawValue)
            p.jumpIfEqual(.r1, 0, to: "out")
            p.label("allocates")
            add(&p, slot: slot("realloc"), size: target.size, counts: counts, label: "allocated")
        default:
            add(&p, slot: slot(target.name), size: target.size, counts: counts, label: "counted")
        }
        p.label("out")
        p.mov(.r0, 0)
        p.exit()
        return p
    }

    /// counts[slot].calls += 1; counts[slot].bytes += product of the size arguments (r6 = ctx).
    private static func add(_ p: inout BPFProgram, slot: Int32, size: [Argument], counts: Int32, label: String) {
        if size.isEmpty {
            p.mov(.r7, 0)
        } else {
            p.loadDW(.r7, .r6, size[0].rawValue)
            for argument in size.dropFirst() {
                p.loadDW(.r2, .r6, argument.rawValue)
                p.mul(.r7, .r2)
            }
        }
        p.storeW(.r10, -20, immediate: slot)
        p.mov(.r2, .r10)
        p.add(.r2, -20)
        p.loadMapFD(.r1, counts)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: label)
        p.loadDW(.r1, .r0, 0)
        p.add(.r1, 1)
        p.storeDW(.r0, 0, .r1)
        p.loadDW(.r1, .r0, 8)
        p.add(.r1, .r7)
        p.storeDW(.r0, 8, .r1)
        p.label(label)
    }

    /// On return from a nesting function: depth -= 1 for this thread.
    private static func returnProgram(depth: Int32) -> BPFProgram {
        var p = BPFProgram()
        p.call(.getCurrentPidTgid)
        p.storeDW(.r10, -8, .r0)
        p.loadMapFD(.r1, depth)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.loadDW(.r1, .r0, 0)
        p.jumpIfEqual(.r1, 0, to: "out")
        p.add(.r1, -1)
        p.storeDW(.r0, 0, .r1)
        p.label("out")
        p.mov(.r0, 0)
        p.exit()
        return p
    }

    /// File offset of `symbol` in `library` as libbcc resolves it for the target.
    static func symbolOffset(library: String, symbol: String, pid: Int32) -> UInt64? {
        var sym = bcc_symbol()
        guard bcc_resolve_symname(library, symbol, 0, pid, nil, &sym) == 0 else { return nil }
        defer { if let module = sym.module { free(UnsafeMutableRawPointer(mutating: module)) } }
        return sym.offset
    }

    /// How many bytes to skip past the entry so the uprobe lands on an emulated instruction.
    static func fastProbeSkip(library: String, offset: UInt64) -> (bytes: UInt64, slowEntry: Bool) {
        guard let handle = FileHandle(forReadingAtPath: library) else { return (0, false) }
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
        for (slot, name) in AllocationProbe.functions.enumerated() {
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
        depth.close()
    }

    deinit { close() }
}
