import CBCC
import Glibc

/// Counts a process tree's syscalls by number with an eBPF program on the `sys_enter` raw
/// tracepoint, filtered inside the program by a hash map of the tree's TGIDs (so threads created
/// later are counted too), which also holds each process's total for the per-process breakdown.
/// Unless `mainOnly`, a second program on the `task/task_newtask` tracepoint adds each child process
/// forked by a member to the map as it forks (new threads, CLONE_THREAD, are not members: their
/// TGID is). The sys_enter program runs for every task on the machine: while the tree is the main
/// process alone (a one-entry array says how many other members there are), other processes leave
/// after one compare and an inlined array read, as cheap as the old immediate filter; then ~100–150
/// ns per syscall for the target. Counts go into a per-CPU array of 512 u64.
final class BPFSyscallCounter: SyscallCounter {
    let method = ProbeMethod.bpf
    static let maxSyscall = 512
    static let maxProcesses = 65536

    private let counts: BPFMap
    private let tree: BPFMap
    /// One u64: the number of members besides the main process.
    private let others: BPFMap
    private var programFD: Int32 = -1
    private var linkFD: Int32 = -1
    private var forkProgramFD: Int32 = -1
    private var forkLinkFD: Int32 = -1
    /// Why children forked after attach are not followed, when they are not.
    private(set) var notice: String?

    init(pid: Int32, mainOnly: Bool = false, privileges: ProbePrivileges = .current()) throws(ProbeError) {
        counts = try BPFMap(.perCPUArray, name: "surge_sc_count", keySize: 4, valueSize: 8, entries: Self.maxSyscall)
        do {
            tree = try BPFMap(.hash, name: "surge_sc_tree", keySize: 4, valueSize: 8, entries: Self.maxProcesses)
        } catch {
            counts.close()
            throw error
        }
        do {
            others = try BPFMap(.array, name: "surge_sc_others", keySize: 4, valueSize: 8, entries: 1)
        } catch {
            counts.close()
            tree.close()
            throw error
        }
        do throws(ProbeError) {
            if !mainOnly {
                do throws(ProbeError) {
                    try followForks(privileges: privileges)
                } catch {
                    notice = "syscalls (bpf): processes the target forks after attach are not followed: \(error)"
                }
            }
            let members = ProcessTree.members(of: pid, mainOnly: mainOnly)
            for member in members {
                try tree.update(key: UInt32(bitPattern: member), value: 0)
            }
            try others.update(key: 0, value: UInt64(members.count - 1))
            programFD = try Self.program(main: pid, tree: tree.fd, others: others.fd, map: counts.fd)
                .load(type: .rawTracepoint, name: "surge_sys_enter")
            linkFD = bpf_attach_raw_tracepoint(programFD, "sys_enter")
            if linkFD < 0 { throw ProbeError.errno("bpf_attach_raw_tracepoint(sys_enter)") }
        } catch {
            close()
            throw error
        }
    }

    /// Attaches the fork follower: a new process (not a thread) whose creator's TGID is in the
    /// tree joins it.
    private func followForks(privileges: ProbePrivileges) throws(ProbeError) {
        guard let root = privileges.tracefs else { throw .unavailable(method: "bpf", reason: "tracefs is not mounted") }
        let path = "\(root)/events/task/task_newtask/format"
        let format = try ProcFile.read(path)
        func offset(_ field: String) throws(ProbeError) -> Int16 {
            guard let line = format.split(separator: "\n").first(where: { $0.contains(" \(field);") }),
                  let range = line.range(of: "offset:"),
                  let value = Int16(line[range.upperBound...].prefix(while: { $0.isNumber })) else {
                throw .unexpectedFormat(path: path, detail: "no \(field) field")
            }
            return value
        }
        let childOffset = try offset("pid"), flagsOffset = try offset("clone_flags")
        var p = BPFProgram()
        p.mov(.r6, .r1)
        p.loadDW(.r1, .r6, flagsOffset)
        p.and(.r1, 0x10000)  // CLONE_THREAD
        p.jumpIfNotEqual(.r1, 0, to: "out")
        p.call(.getCurrentPidTgid)
        p.rsh(.r0, 32)
        p.storeW(.r10, -4, .r0)
        p.loadMapFD(.r1, tree.fd)
        p.mov(.r2, .r10)
        p.add(.r2, -4)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.loadW(.r1, .r6, childOffset)
        p.storeW(.r10, -8, .r1)
        p.mov(.r1, 0)
        p.storeDW(.r10, -16, .r1)
        p.loadMapFD(.r1, tree.fd)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.mov(.r3, .r10)
        p.add(.r3, -16)
        p.mov(.r4, 1)  // BPF_NOEXIST: a recycled pid already in the tree keeps its count
        p.call(.mapUpdateElem)
        p.jumpIfNotEqual(.r0, 0, to: "out")
        p.storeW(.r10, -4, immediate: 0)
        p.loadMapFD(.r1, others.fd)
        p.mov(.r2, .r10)
        p.add(.r2, -4)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.mov(.r1, 1)
        p.atomicAddDW(.r0, 0, .r1)
        p.label("out")
        p.mov(.r0, 0)
        p.exit()
        forkProgramFD = try p.load(type: .tracepoint, name: "surge_newtask")
        forkLinkFD = bpf_attach_tracepoint(forkProgramFD, "task", "task_newtask")
        if forkLinkFD < 0 { throw .errno("bpf_attach_tracepoint(task/task_newtask)") }
    }

    /// r6 = ctx; r7 = tgid; a process other than `main` leaves unless the tree has other members;
    /// total = tree[tgid] or return 0; atomically total += 1; id = ctx->args[1];
    /// if (id > 511) return 0; counts[id] += 1
    static func program(main: Int32, tree: Int32, others: Int32, map: Int32) -> BPFProgram {
        var p = BPFProgram()
        p.mov(.r6, .r1)
        p.call(.getCurrentPidTgid)
        p.rsh(.r0, 32)
        p.mov(.r7, .r0)
        p.jumpIfEqual(.r7, main, to: "member")
        p.storeW(.r10, -4, immediate: 0)
        p.loadMapFD(.r1, others)
        p.mov(.r2, .r10)
        p.add(.r2, -4)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.loadDW(.r1, .r0, 0)
        p.jumpIfEqual(.r1, 0, to: "out")
        p.label("member")
        p.storeW(.r10, -8, .r7)
        p.loadMapFD(.r1, tree)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.mov(.r1, 1)
        p.atomicAddDW(.r0, 0, .r1)
        p.loadDW(.r1, .r6, 8)
        p.jumpIfGreater(.r1, Int32(maxSyscall - 1), to: "out")
        p.storeW(.r10, -12, .r1)
        p.mov(.r2, .r10)
        p.add(.r2, -12)
        p.loadMapFD(.r1, map)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.loadDW(.r1, .r0, 0)
        p.add(.r1, 1)
        p.storeDW(.r0, 0, .r1)
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
        var result: [Int32: UInt64] = [:]
        for (tgid, count) in try tree.u32Entries() where count > 0 { result[Int32(bitPattern: tgid)] = count }
        return result
    }

    func close() {
        if forkLinkFD >= 0 { Glibc.close(forkLinkFD); forkLinkFD = -1 }
        if forkProgramFD >= 0 { Glibc.close(forkProgramFD); forkProgramFD = -1 }
        if linkFD >= 0 { Glibc.close(linkFD); linkFD = -1 }
        if programFD >= 0 { Glibc.close(programFD); programFD = -1 }
        counts.close()
        tree.close()
        others.close()
    }

    deinit { close() }
}
