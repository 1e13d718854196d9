import CBCC
import Glibc

/// Counts a process tree's syscalls by number with an eBPF program on the `sys_enter` raw
/// tracepoint, filtered inside the program by the tree's TGIDs (`BPFProcessTree`: threads created
/// later count too, processes forked later join), which also keeps each process's total for the
/// per-process breakdown. The program runs for every task on the machine (measured by
/// Scripts/probe-overhead.sh on 2 loaded cores: 30–70 ns of CPU per syscall for the target, 25–55 ns
/// for every other process); counts go into a per-CPU array of 512 u64.
final class BPFSyscallCounter: SyscallCounter {
    let method = ProbeMethod.bpf
    static let maxSyscall = 512

    private let counts: BPFMap
    private let tree: BPFProcessTree
    private var programFD: Int32 = -1
    private var linkFD: Int32 = -1
    /// Why children forked after attach are not followed, when they are not.
    var notice: String? { tree.notice }

    init(pid: Int32, mainOnly: Bool = false, privileges: ProbePrivileges = .current()) throws(ProbeError) {
        counts = try BPFMap(.perCPUArray, name: "surge_sc_count", keySize: 4, valueSize: 8, entries: Self.maxSyscall)
        do {
            tree = try BPFProcessTree(pid: pid, mainOnly: mainOnly, privileges: privileges, label: "syscalls (bpf)")
        } catch {
            counts.close()
            throw error
        }
        do throws(ProbeError) {
            programFD = try Self.program(tree: tree, map: counts.fd).load(type: .rawTracepoint, name: "surge_sys_enter")
            linkFD = bpf_attach_raw_tracepoint(programFD, "sys_enter")
            if linkFD < 0 { throw ProbeError.errno("bpf_attach_raw_tracepoint(sys_enter)") }
        } catch {
            close()
            throw error
        }
    }

    /// r6 = ctx; r7 = tgid; not in the tree: return 0; tree total += 1; id = ctx->args[1];
    /// if (id > 511) return 0; counts[id] += 1
    static func program(tree: BPFProcessTree, map: Int32) -> BPFProgram {
        var p = BPFProgram()
        p.mov(.r6, .r1)
        p.call(.getCurrentPidTgid)
        p.rsh(.r0, 32)
        p.mov(.r7, .r0)
        tree.emitFilter(&p, tgid: .r7, stack: -4, count: true, notMember: "out", prefix: "tree")
        p.loadDW(.r1, .r6, 8)
        p.jumpIfGreater(.r1, Int32(maxSyscall - 1), to: "out")
        p.storeW(.r10, -12, .r1)
        p.incrementMapValue(map, keyAt: -12, missing: "out")
        p.label("out")
        p.mov(.r0, 0)
        p.exit()
        return p
    }

    func snapshot() throws(ProbeError) -> [String: UInt64] {
        SyscallProbe.named(try counts.readArraySums())
    }

    /// Syscalls since attach by process (processes that made none are left out).
    func snapshotByProcess() throws(ProbeError) -> [Int32: UInt64]? {
        try tree.totals()
    }

    func close() {
        if linkFD >= 0 { Glibc.close(linkFD); linkFD = -1 }
        if programFD >= 0 { Glibc.close(programFD); programFD = -1 }
        counts.close()
        tree.close()
    }

    deinit { close() }
}
