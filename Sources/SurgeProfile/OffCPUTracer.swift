import CBCC
import Glibc
import SurgeProbes

/// Time the target's threads spend blocked, per stack, from the `sched/sched_switch` tracepoint
/// (as bcc's `offcputime`): when a thread of the tree is switched out in a sleeping state
/// (`prev_state` not running: sleeps, I/O, locks; preemption is not counted), its stacks and the
/// time go into a per-thread map; when it is switched in again, the time it was away is added to
/// that stack pair, if it is at least the minimum block time (which keeps the map small).
final class OffCPUTracer {
    let maps: StackMaps
    private let start: Int32
    private var program: Int32 = -1
    private var link: Int32 = -1
    let minimumNanoseconds: UInt64

    init(tree: BPFProcessTree, tracefs: String?, minimumNanoseconds: UInt64) throws(ProfileError) {
        self.minimumNanoseconds = min(minimumNanoseconds, UInt64(Int32.max))
        guard let tracefs else { throw .probe(.unavailable(method: "sched_switch", reason: "tracefs is not mounted")) }
        let offsets = try Self.offsets(tracefs: tracefs)
        maps = try StackMaps(name: "surge_offcpu", keySize: 16, valueWords: 1)
        start = bcc_create_map(BPF_MAP_TYPE_HASH, "surge_offcpu_t", 4, 24, 65536, 0)
        guard start >= 0 else {
            let error = StackMaps.failure("hash map")
            maps.close()
            throw error
        }
        do throws(ProfileError) {
            program = try load(tree: tree, prevState: offsets.prevState, nextPid: offsets.nextPid)
            link = bpf_attach_tracepoint(program, "sched", "sched_switch")
            guard link >= 0 else { throw ProfileError.probe(.systemCall("bpf_attach_tracepoint(sched/sched_switch)", errno: errno)) }
        } catch {
            close()
            throw error
        }
    }

    private static func offsets(tracefs: String) throws(ProfileError) -> (prevState: Int16, nextPid: Int16) {
        let path = "\(tracefs)/events/sched/sched_switch/format"
        guard let format = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .file(path: path, detail: "cannot read the sched_switch record format")
        }
        func offset(_ field: String) throws(ProfileError) -> Int16 {
            guard let line = format.split(separator: "\n").first(where: { $0.contains(" \(field);") }),
                  let range = line.range(of: "offset:"),
                  let value = Int16(line[range.upperBound...].prefix(while: { $0.isNumber })) else {
                throw .file(path: path, detail: "no \(field) field")
            }
            return value
        }
        return (try offset("prev_state"), try offset("next_pid"))
    }

    private func load(tree: BPFProcessTree, prevState: Int16, nextPid: Int16) throws(ProfileError) -> Int32 {
        var p = BPFProgram()
        p.mov(.r6, .r1)
        // Switched out: remember when and where, for a sleeping thread of the tree.
        p.loadDW(.r1, .r6, prevState)
        p.and(.r1, 0xff)
        p.jumpIfEqual(.r1, 0, to: "next")
        p.call(.getCurrentPidTgid)
        p.mov(.r7, .r0)
        p.rsh(.r7, 32)
        p.mov(.r8, .r0)
        p.lsh(.r8, 32)
        p.rsh(.r8, 32)
        p.jumpIfEqual(.r7, 0, to: "next")
        tree.emitFilter(&p, tgid: .r7, stack: -4, count: false, notMember: "next", prefix: "tree")
        StackProgram.emitKey(&p, maps: maps, ctx: .r6, tgid: .r7, key: -32, kernel: true)
        p.call(.ktimeGetNs)
        p.storeDW(.r10, -40, .r0)      // value: ts at -40, then the 16-byte key at -32
        p.storeW(.r10, -8, .r8)
        p.loadMapFD(.r1, start)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.mov(.r3, .r10)
        p.add(.r3, -40)
        p.mov(.r4, 0)
        p.call(.mapUpdateElem)
        // Switched in: add the time it was away to its stacks.
        p.label("next")
        p.loadW(.r1, .r6, nextPid)
        p.jumpIfEqual(.r1, 0, to: "out")
        p.storeW(.r10, -8, .r1)
        p.loadMapFD(.r1, start)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.call(.mapLookupElem)
        p.jumpIfEqual(.r0, 0, to: "out")
        p.mov(.r9, .r0)
        p.call(.ktimeGetNs)
        p.loadDW(.r1, .r9, 0)
        p.sub(.r0, .r1)
        p.mov(.r8, .r0)
        for word: Int16 in [0, 4, 8, 12] {
            p.loadW(.r1, .r9, 8 + word)
            p.storeW(.r10, -64 + word, .r1)
        }
        p.loadMapFD(.r1, start)
        p.mov(.r2, .r10)
        p.add(.r2, -8)
        p.call(.mapDeleteElem)
        if minimumNanoseconds > 0 {
            p.jumpIfGreater(.r8, Int32(minimumNanoseconds - 1), to: "long")
            p.jump(to: "out")
            p.label("long")
        }
        StackProgram.emitAdd(&p, maps: maps, key: -64, value: -72, add: [.r8], prefix: "time")
        p.label("out")
        p.mov(.r0, 0)
        p.exit()
        do { return try p.load(type: .tracepoint, name: "surge_offcpu") } catch { throw .probe(error) }
    }

    func close() {
        if link >= 0 { Glibc.close(link); link = -1 }
        if program >= 0 { Glibc.close(program); program = -1 }
        Glibc.close(start)
        maps.close()
    }
}
