import CBCC
import Glibc

/// The set of TGIDs a BPF probe counts: the target's process tree (see `ProcessTree`) in a hash
/// map (TGID → that process's syscall total), seeded at attach and, unless `mainOnly`, extended by
/// a program on the `task/task_newtask` tracepoint as members fork new processes (new threads,
/// CLONE_THREAD, are not members: their TGID is). A one-entry array holds the number of members
/// besides the main process, so while the tree is the main process alone the filter costs other
/// processes one compare and an inlined array read, as the old immediate compare did.
package final class BPFProcessTree {
    let main: Int32
    let members: BPFMap
    private let others: BPFMap
    private var programFD: Int32 = -1
    private var linkFD: Int32 = -1
    static let capacity = 65536
    /// Why processes forked after attach are not followed, when they are not.
    package private(set) var notice: String?

    package init(pid: Int32, mainOnly: Bool, privileges: ProbePrivileges, label: String) throws(ProbeError) {
        main = pid
        members = try BPFMap(.hash, name: "surge_tree", keySize: 4, valueSize: 8, entries: Self.capacity)
        do {
            others = try BPFMap(.array, name: "surge_tree_n", keySize: 4, valueSize: 8, entries: 1)
        } catch {
            members.close()
            throw error
        }
        do throws(ProbeError) {
            if !mainOnly {
                do throws(ProbeError) {
                    try followForks(privileges: privileges)
                } catch {
                    notice = "\(label): processes the target forks after attach are not followed: \(error)"
                }
            }
            let tree = ProcessTree.members(of: pid, mainOnly: mainOnly)
            for member in tree { try members.update(key: UInt32(bitPattern: member), value: 0) }
            try others.update(key: 0, value: UInt64(tree.count - 1))
        } catch {
            close()
            throw error
        }
    }

    /// Emits the membership test for the TGID in `tgid` (a register helpers keep: r6–r9): jumps
    /// to `notMember` unless it is in the tree; with `count`, atomically adds 1 to its total.
    /// Uses r0–r5 and the stack at `stack` (4 bytes).
    package func emitFilter(_ p: inout BPFProgram, tgid: BPFRegister, stack: Int16, count: Bool, notMember: String, prefix: String) {
        p.jumpIfEqual(tgid, main, to: "\(prefix)_member")
        p.storeW(.r10, stack, immediate: 0)
        p.loadMapFD(.r1, others.fd)
        p.mov(.r2, .r10)
        p.add(.r2, Int32(stack))
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: notMember)
        p.loadDW(.r1, .r0, 0)
        p.jumpIfEqual(.r1, 0, to: notMember)
        p.label("\(prefix)_member")
        p.storeW(.r10, stack, tgid)
        p.loadMapFD(.r1, members.fd)
        p.mov(.r2, .r10)
        p.add(.r2, Int32(stack))
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: notMember)
        if count {
            p.mov(.r1, 1)
            p.atomicAddDW(.r0, 0, .r1)
        }
    }

    /// Totals since attach by process (processes with none left out).
    func totals() throws(ProbeError) -> [Int32: UInt64] {
        var result: [Int32: UInt64] = [:]
        for (tgid, count) in try members.u32Entries() where count > 0 { result[Int32(bitPattern: tgid)] = count }
        return result
    }

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
        p.loadMapFD(.r1, members.fd)
        p.mov(.r2, .r10)
        p.add(.r2, -4)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.loadW(.r1, .r6, childOffset)
        p.storeW(.r10, -8, .r1)
        p.mov(.r1, 0)
        p.storeDW(.r10, -16, .r1)
        p.loadMapFD(.r1, members.fd)
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
        programFD = try p.load(type: .tracepoint, name: "surge_newtask")
        linkFD = bpf_attach_tracepoint(programFD, "task", "task_newtask")
        if linkFD < 0 { throw .errno("bpf_attach_tracepoint(task/task_newtask)") }
    }

    package func close() {
        if linkFD >= 0 { Glibc.close(linkFD); linkFD = -1 }
        if programFD >= 0 { Glibc.close(programFD); programFD = -1 }
        members.close()
        others.close()
    }

    deinit { close() }
}
