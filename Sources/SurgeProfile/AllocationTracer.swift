import CBCC
import Foundation
import Glibc
import SurgeProbes

/// Bytes and calls per allocating stack: uprobes on the allocator's malloc, calloc and realloc,
/// attached to each process of the tree (uprobes cost only the probed process), each taking the
/// user stack and the return address at the stack pointer (at a function's first instruction the
/// frame-pointer walk would skip the direct caller). With `sampleEvery` N > 1, each call is
/// recorded with probability 1/N (the kernel's prandom) and counts are multiplied by N when read
/// (N a power of two).
/// realloc(NULL, n) is left to the malloc it calls; realloc(p, 0) allocates nothing.
final class AllocationTracer {
    let maps: StackMaps
    private var programs: [(fd: Int32, function: String, offset: UInt64)] = []
    private var links: [(fd: Int32, event: String)] = []
    private var attached = Set<Int32>()
    let library: String
    let sampleEvery: Int

    /// x86_64 `struct pt_regs` offsets: di, si, sp.
    private static let di: Int16 = 112, si: Int16 = 104, sp: Int16 = 152

    init(pids: [Int32], library: String, sampleEvery: Int) throws(ProfileError) {
        #if !arch(x86_64)
        throw ProfileError.probe(.unavailable(method: "uprobe", reason: "argument registers are only known for x86_64"))
        #endif
        guard sampleEvery >= 1, sampleEvery & (sampleEvery - 1) == 0 else {
            throw .invalidArgument("the allocation sampling rate must be a power of two (got 1 in \(sampleEvery))")
        }
        self.library = library
        self.sampleEvery = sampleEvery
        maps = try StackMaps(name: "surge_alst", keySize: 24, valueWords: 2)
        do throws(ProfileError) {
            guard let main = pids.first else { throw ProfileError.invalidArgument("no process to attach uprobes to") }
            for function in ["malloc", "calloc", "realloc"] {
                var sym = bcc_symbol()
                guard bcc_resolve_symname(library, function, 0, main, nil, &sym) == 0 else { continue }
                let offset = sym.offset
                if let module = sym.module { free(UnsafeMutableRawPointer(mutating: module)) }
                do {
                    let fd = try program(function).load(type: .kprobe, name: "surge_al_\(function)".prefix(15).description)
                    programs.append((fd, function, offset))
                } catch {
                    throw ProfileError.probe(error)
                }
            }
            guard !programs.isEmpty else {
                throw ProfileError.probe(.unavailable(method: "uprobe", reason: "no malloc, calloc or realloc in \(library)"))
            }
            try follow(pids)
        } catch {
            close()
            throw error
        }
    }

    /// Attaches to the processes of `pids` not probed yet (uprobes do not follow forks).
    func follow(_ pids: [Int32]) throws(ProfileError) {
        for pid in pids where !attached.contains(pid) {
            for program in programs {
                let event = "surge_\(getpid())_\(pid)_st_\(program.function)"
                let fd = bpf_attach_uprobe(program.fd, BPF_PROBE_ENTRY, event, library, program.offset, pid, 0)
                guard fd >= 0 else {
                    if kill(pid, 0) != 0 && pids.first != pid { break }
                    throw .probe(.systemCall("bpf_attach_uprobe(\(program.function) in \(library), pid \(pid))", errno: errno))
                }
                links.append((fd, event))
            }
            attached.insert(pid)
        }
    }

    private func program(_ function: String) -> BPFProgram {
        var p = BPFProgram()
        p.mov(.r6, .r1)
        switch function {
        case "calloc":
            p.loadDW(.r8, .r6, Self.di)
            p.loadDW(.r1, .r6, Self.si)
            p.mul(.r8, .r1)
        case "realloc":
            p.loadDW(.r1, .r6, Self.di)
            p.jumpIfEqual(.r1, 0, to: "out")
            p.loadDW(.r8, .r6, Self.si)
        default:
            p.loadDW(.r8, .r6, Self.di)
        }
        p.jumpIfEqual(.r8, 0, to: "out")
        if sampleEvery > 1 {
            // A random 1 in N: a counter would lock onto a program's periodic pattern of calls.
            p.call(.getPrandomU32)
            p.and(.r0, Int32(sampleEvery - 1))
            p.jumpIfNotEqual(.r0, 0, to: "out")
        }
        p.call(.getCurrentPidTgid)
        p.mov(.r7, .r0)
        p.rsh(.r7, 32)
        StackProgram.emitKey(&p, maps: maps, ctx: .r6, tgid: .r7, key: -32, kernel: false)
        // The return address at the stack pointer: the direct caller.
        p.mov(.r1, 0)
        p.storeDW(.r10, -16, .r1)
        p.mov(.r1, .r10)
        p.add(.r1, -16)
        p.mov(.r2, 8)
        p.loadDW(.r3, .r6, Self.sp)
        p.call(.probeReadUser)
        p.mov(.r9, 1)
        StackProgram.emitAdd(&p, maps: maps, key: -32, value: -48, add: [.r9, .r8], prefix: "add")
        p.label("out")
        p.mov(.r0, 0)
        p.exit()
        return p
    }

    /// The sampling rate as the output states it.
    var rateDescription: String {
        sampleEvery == 1 ? "every call recorded" : "1 in \(sampleEvery) calls recorded at random, counts scaled by \(sampleEvery)"
    }

    func close() {
        let detach = links
        DispatchQueue.concurrentPerform(iterations: detach.count) { i in
            Glibc.close(detach[i].fd)
            _ = bpf_detach_uprobe(detach[i].event)
        }
        links = []
        for program in programs { Glibc.close(program.fd) }
        programs = []
        maps.close()
    }
}
