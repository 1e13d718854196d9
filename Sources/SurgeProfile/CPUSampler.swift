import CBCC
import Glibc
import SurgeProbes

/// Samples the user and kernel stacks of the target's process tree at a fixed frequency, as
/// bcc's `profile` does: a BPF program on a cpu-clock perf event on every CPU (so it works in a VM
/// without a PMU) that keeps the samples of the tree's processes (the TGID filter of
/// `BPFProcessTree`) and counts them per stack pair in a hash map.
final class CPUSampler {
    let maps: StackMaps
    private var program: Int32 = -1
    private var events: [Int32] = []
    let frequency: Int

    init(tree: BPFProcessTree, frequency: Int) throws(ProfileError) {
        self.frequency = frequency
        // 65,536 stacks (about 68 MB of kernel memory while attached): two stacks hashing to one
        // bucket lose the second (`[lost stack]`), and a broker's deep Swift stacks at 999 Hz make
        // ~3,000 distinct ones in a few seconds: 3.5% of samples were lost with bcc's 16,384, 0.9% here.
        maps = try StackMaps(name: "surge_cpu", keySize: 16, valueWords: 1, entries: 65536)
        do throws(ProfileError) {
            var p = BPFProgram()
            p.mov(.r6, .r1)
            p.call(.getCurrentPidTgid)
            p.mov(.r7, .r0)
            p.rsh(.r7, 32)
            p.jumpIfEqual(.r7, 0, to: "out")
            tree.emitFilter(&p, tgid: .r7, stack: -4, count: false, notMember: "out", prefix: "tree")
            StackProgram.emitKey(&p, maps: maps, ctx: .r6, tgid: .r7, key: -24, kernel: true)
            p.mov(.r8, 1)
            StackProgram.emitAdd(&p, maps: maps, key: -24, value: -32, add: [.r8], prefix: "count")
            p.label("out")
            p.mov(.r0, 0)
            p.exit()
            do { program = try p.load(type: .perfEvent, name: "surge_cpu") } catch { throw ProfileError.probe(error) }
            for cpu in Self.onlineCPUs() {
                let fd = bpf_attach_perf_event(program, 1 /* PERF_TYPE_SOFTWARE */, 0 /* CPU_CLOCK */, 0, UInt64(frequency), -1, Int32(cpu), -1)
                guard fd >= 0 else { throw ProfileError.probe(.systemCall("bpf_attach_perf_event(cpu-clock, cpu \(cpu))", errno: errno)) }
                events.append(fd)
            }
        } catch {
            close()
            throw error
        }
    }

    /// CPUs from /sys/devices/system/cpu/online ("0-1,4").
    static func onlineCPUs() -> [Int] {
        guard let text = try? String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8) else {
            return Array(0..<Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        }
        var cpus: [Int] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2 { cpus += Array(bounds[0]...bounds[1]) } else if let one = bounds.first { cpus.append(one) }
        }
        return cpus
    }

    func close() {
        for fd in events { _ = bpf_close_perf_event_fd(fd) }
        events = []
        if program >= 0 { Glibc.close(program); program = -1 }
        maps.close()
    }
}
