import CBCC
import Glibc

/// Times a process tree's syscalls (`BPFProcessTree`) with a pair of eBPF programs on the `sys_enter` and `sys_exit` raw
/// tracepoints: entry stores (time, syscall id) by thread in a hash map; exit adds the elapsed time
/// to a per-syscall sum and a log2 histogram (32 buckets of [2^i, 2^(i+1)) ns, the last one open),
/// both memory-mapped arrays updated with atomic adds, so window edges read them without syscalls.
/// Costly (~630 ns per syscall): run it in a profile pass. Syscalls that never return (exit) are not
/// timed; a call that blocks across a window edge is counted in the window in which it returns.
final class SyscallLatencyProbe {
    static let buckets = 32
    static let maxSyscall = 512

    struct Snapshot {
        var nanoseconds: [UInt64]   // by syscall id
        var histogram: [UInt64]     // id * buckets + bucket
    }

    private let starts: BPFMap
    private let sums: BPFMap
    private let histogram: BPFMap
    private var fds: [Int32] = []
    private var tree: BPFProcessTree?
    /// Why processes forked after attach are not followed, when they are not.
    var notice: String? { tree?.notice }

    init(pid: Int32, mainOnly: Bool = false, privileges: ProbePrivileges = .current()) throws(ProbeError) {
        starts = try BPFMap(.hash, name: "surge_lat_start", keySize: 8, valueSize: 16, entries: 16384)
        sums = try BPFMap(.array, name: "surge_lat_sum", keySize: 4, valueSize: 8, entries: Self.maxSyscall, mappable: true)
        histogram = try BPFMap(.array, name: "surge_lat_hist", keySize: 4, valueSize: 8, entries: Self.maxSyscall * Self.buckets,
                               mappable: true)
        do throws(ProbeError) {
            let tree = try BPFProcessTree(pid: pid, mainOnly: mainOnly, privileges: privileges, label: "syscall latency")
            self.tree = tree
            let enter = try Self.enterProgram(tree: tree, starts: starts.fd).load(type: .rawTracepoint, name: "surge_lat_enter")
            fds.append(enter)
            let exit = try Self.exitProgram(tree: tree, starts: starts.fd, sums: sums.fd, histogram: histogram.fd)
                .load(type: .rawTracepoint, name: "surge_lat_exit")
            fds.append(exit)
            for (program, point) in [(enter, "sys_enter"), (exit, "sys_exit")] {
                let link = bpf_attach_raw_tracepoint(program, point)
                guard link >= 0 else { throw ProbeError.errno("bpf_attach_raw_tracepoint(\(point))") }
                fds.append(link)
            }
        } catch {
            close()
            throw error
        }
    }

    static func enterProgram(tree: BPFProcessTree, starts: Int32) -> BPFProgram {
        var p = BPFProgram()
        p.mov(.r6, .r1)
        p.call(.getCurrentPidTgid)
        p.mov(.r7, .r0)
        p.rsh(.r0, 32)
        p.mov(.r8, .r0)
        tree.emitFilter(&p, tgid: .r8, stack: -28, count: false, notMember: "out", prefix: "tree")
        p.loadDW(.r1, .r6, 8)
        p.jumpIfGreater(.r1, Int32(maxSyscall - 1), to: "out")
        p.storeDW(.r10, -16, .r1)
        p.storeDW(.r10, -8, .r7)
        p.call(.ktimeGetNs)
        p.storeDW(.r10, -24, .r0)
        p.loadMapFD(.r1, starts)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.mov(.r3, .r10)
        p.add(.r3, -24)
        p.mov(.r4, 0)
        p.call(.mapUpdateElem)
        p.label("out")
        p.mov(.r0, 0)
        p.exit()
        return p
    }

    static func exitProgram(tree: BPFProcessTree, starts: Int32, sums: Int32, histogram: Int32) -> BPFProgram {
        var p = BPFProgram()
        p.call(.getCurrentPidTgid)
        p.mov(.r7, .r0)
        p.rsh(.r0, 32)
        p.mov(.r8, .r0)
        tree.emitFilter(&p, tgid: .r8, stack: -28, count: false, notMember: "out", prefix: "tree")
        p.storeDW(.r10, -8, .r7)
        p.loadMapFD(.r1, starts)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.mov(.r8, .r0)
        p.call(.ktimeGetNs)
        p.loadDW(.r1, .r8, 0)
        p.sub(.r0, .r1)
        p.mov(.r7, .r0)            // r7 = elapsed ns
        p.loadDW(.r9, .r8, 8)      // r9 = syscall id
        // r3 = floor(log2(r7)) by halving steps
        p.mov(.r3, 0)
        p.mov(.r2, .r7)
        for shift: Int32 in [32, 16, 8, 4, 2, 1] {
            p.mov(.r4, .r2)
            p.rsh(.r4, shift)
            p.jumpIfEqual(.r4, 0, to: "skip\(shift)")
            p.add(.r3, shift)
            p.mov(.r2, .r4)
            p.label("skip\(shift)")
        }
        p.jumpIfGreater(.r3, Int32(buckets - 1), to: "clamp")
        p.jump(to: "bucket")
        p.label("clamp")
        p.mov(.r3, Int32(buckets - 1))
        p.label("bucket")
        p.mov(.r1, .r9)
        p.lsh(.r1, 5)
        p.add(.r1, .r3)
        p.storeW(.r10, -12, .r1)
        p.loadMapFD(.r1, histogram)
        p.mov(.r2, .r10)
        p.add(.r2, -12)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "sum")
        p.mov(.r1, 1)
        p.atomicAddDW(.r0, 0, .r1)
        p.label("sum")
        p.storeW(.r10, -16, .r9)
        p.loadMapFD(.r1, sums)
        p.mov(.r2, .r10)
        p.add(.r2, -16)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "delete")
        p.atomicAddDW(.r0, 0, .r7)
        p.label("delete")
        p.loadMapFD(.r1, starts)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.call(.mapDeleteElem)
        p.label("out")
        p.mov(.r0, 0)
        p.exit()
        return p
    }

    func snapshot() throws(ProbeError) -> Snapshot {
        Snapshot(nanoseconds: try sums.readArraySums(), histogram: try histogram.readArraySums())
    }

    /// `syscall-ns`, `syscall-ns.<name>` and histograms by name for the window between two snapshots.
    static func record(from a: Snapshot, to b: Snapshot, into window: inout ProbeWindow) {
        var total: UInt64 = 0
        for id in 0..<maxSyscall {
            let ns = b.nanoseconds[id] &- a.nanoseconds[id]
            let range = id * buckets..<(id + 1) * buckets
            let counts = range.map { b.histogram[$0] &- a.histogram[$0] }
            guard counts.contains(where: { $0 > 0 }) else { continue }
            let name = SyscallTable.name(id)
            total &+= ns
            window.record("syscall-ns.\(name)", Double(ns), .bpf)
            window.latencyHistograms[name] = counts
        }
        window.record("syscall-ns", Double(total), .bpf)
    }

    func close() {
        for fd in fds.reversed() { Glibc.close(fd) }
        fds = []
        tree?.close()
        tree = nil
        starts.close()
        sums.close()
        histogram.close()
    }

    deinit { close() }
}
