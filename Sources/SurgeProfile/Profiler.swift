import Foundation
import Glibc
import SurgeProbes

/// Profiles a running process tree: CPU stack samples, off-CPU time and allocation stacks, each
/// with its own BPF program (see `CPUSampler`, `OffCPUTracer`, `AllocationTracer`), over the tree
/// `BPFProcessTree` follows (the target and every process it forks, unless `mainOnly`). A kind
/// that cannot attach becomes a notice, never a failure of the others; CPU falls back to
/// `perf record` and says why once. Call `poll()` now and then while it runs (attaches uprobes to
/// new processes, names stacks while their processes live), then `finish()`.
public final class Profiler {
    public let pid: Int32
    public let options: ProfileOptions
    public private(set) var notices: [String] = []
    /// How each attached kind is measured.
    public private(set) var methods: [ProfileKind: String] = [:]

    private let tree: BPFProcessTree?
    private var cpu: CPUSampler?
    private var perf: PerfRecordSampler?
    private var offCPU: OffCPUTracer?
    private var allocations: AllocationTracer?
    private let symbols = Symbolizer()
    private var finished = false

    public init(pid: Int32, options: ProfileOptions) throws(ProfileError) {
        self.pid = pid
        self.options = options
        guard kill(pid, 0) == 0 || errno == EPERM else { throw .probe(.noSuchProcess(pid)) }
        var privileges = ProbePrivileges.current()
        if let notice = privileges.ensureTracefs() { notices.append(notice) }
        let members = ProcessTree.members(of: pid, mainOnly: options.mainOnly)
        do {
            tree = try BPFProcessTree(pid: pid, mainOnly: options.mainOnly, privileges: privileges, label: "profile")
            if let notice = tree?.notice { notices.append(notice) }
        } catch {
            tree = nil
            notices.append("profiles through BPF are not available: \(error)")
        }
        for kind in options.kinds { attach(kind, privileges: privileges, members: members) }
    }

    private func attach(_ kind: ProfileKind, privileges: ProbePrivileges, members: [Int32]) {
        do throws(ProfileError) {
            guard let tree else {
                guard kind == .cpu else { throw ProfileError.probe(.unavailable(method: "bpf", reason: "see above")) }
                perf = try PerfRecordSampler(pids: members, frequency: options.frequency)
                methods[.cpu] = "perf record -g at \(options.frequency) Hz (fallback: BPF unavailable)"
                return
            }
            switch kind {
            case .cpu:
                do {
                    cpu = try CPUSampler(tree: tree, frequency: options.frequency)
                    methods[.cpu] = "bpf perf-event stack sampling at \(options.frequency) Hz (user and kernel stacks)"
                } catch {
                    notices.append("cpu profile: the BPF sampler could not attach (\(error)); using perf record instead")
                    perf = try PerfRecordSampler(pids: members, frequency: options.frequency)
                    methods[.cpu] = "perf record -g at \(options.frequency) Hz (fallback)"
                }
            case .offCPU:
                offCPU = try OffCPUTracer(tree: tree, tracefs: privileges.tracefs, minimumNanoseconds: options.offCPUMinimumNanoseconds)
                let minimum = Double(options.offCPUMinimumNanoseconds) / 1000
                methods[.offCPU] = "bpf sched_switch, blocked time (not preemption), blocks of at least \(minimum) µs"
            case .allocations:
                let binary: TargetBinary
                do { binary = try TargetBinary(pid: pid) } catch { throw ProfileError.probe(error) }
                guard let library = binary.allocatorLibrary else {
                    throw ProfileError.probe(.unavailable(method: "uprobe", reason: "the target maps no malloc library (static or Go binary)"))
                }
                let tracer = try AllocationTracer(pids: members, library: library, sampleEvery: options.allocationSampleEvery)
                allocations = tracer
                methods[.allocations] = "bpf uprobes on malloc, calloc, realloc in \(library); \(tracer.rateDescription)"
            }
        } catch {
            notices.append("\(kind.rawValue) profile not measured: \(error)")
        }
    }

    /// Follows processes forked since the last call and names the stacks seen so far.
    public func poll() {
        guard !finished else { return }
        if let allocations {
            let members = ProcessTree.members(of: pid, mainOnly: options.mainOnly)
            do { try allocations.follow(members) } catch { notices.append("allocation profile: \(error)") }
        }
        symbols.refresh()
        _ = collect()
    }

    /// Reads the maps, names every frame, detaches, and returns one profile per attached kind.
    public func finish() -> [Profile] {
        guard !finished else { return [] }
        symbols.refresh()
        var profiles = collect()
        if let perf {
            do {
                let stacks = try perf.finish()
                var folded = StackFolder.Folded(stacks: stacks)
                for (stack, value) in stacks.values {
                    let frames = stack.split(separator: ";").dropFirst()
                    let unknown = frames.filter { $0.hasPrefix(Symbolizer.unknown) }.count
                    folded.frames += Double(frames.count) * value
                    folded.unknownFrames += Double(unknown) * value
                    if unknown > 0 { folded.unresolved += value }
                }
                profiles.insert(profile(.cpu, folded), at: 0)
            } catch {
                notices.append("cpu profile (perf record) not measured: \(error)")
            }
        }
        finished = true
        cpu?.close()
        offCPU?.close()
        allocations?.close()
        tree?.close()
        symbols.close()
        return profiles
    }

    private func profile(_ kind: ProfileKind, _ folded: StackFolder.Folded, calls: FoldedStacks? = nil) -> Profile {
        var stacks = folded.stacks
        stacks.header = [("kind", kind.rawValue), ("unit", kind.rawUnit), ("method", methods[kind] ?? "")]
        let total = max(stacks.total, 1e-300)
        return Profile(kind: kind, stacks: stacks, method: methods[kind] ?? "",
                       unknownFrameShare: folded.frames > 0 ? folded.unknownFrames / folded.frames : 0,
                       resolvedShare: stacks.total > 0 ? 1 - folded.unresolved / total : 0,
                       lostStackShare: folded.lost / total, calls: calls)
    }

    private func collect() -> [Profile] {
        let folder = StackFolder(symbols: symbols)
        var result: [Profile] = []
        if let cpu {
            result.append(profile(.cpu, folder.fold(cpu.maps.entries(), maps: cpu.maps) { Double($0.values[0]) }))
        }
        if let offCPU {
            result.append(profile(.offCPU, folder.fold(offCPU.maps.entries(), maps: offCPU.maps) { Double($0.values[0]) }))
        }
        if let allocations {
            let entries = allocations.maps.entries()
            let scale = Double(allocations.sampleEvery)
            let calls = folder.fold(entries, maps: allocations.maps) { Double($0.values[0]) * scale }.stacks
            result.append(profile(.allocations, folder.fold(entries, maps: allocations.maps) { Double($0.values[1]) * scale }, calls: calls))
        }
        return result
    }
}
