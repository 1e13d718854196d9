/// Builds folded stacks from the BPF maps' entries: the process name, the user frames outermost
/// first, then the kernel frames (`_[k]`). Negative stack ids become a `[lost stack]` frame
/// (-EEXIST: the stack map's bucket was taken) or are left out (-EFAULT: no stack of that kind).
struct StackFolder {
    let symbols: Symbolizer

    struct Folded {
        var stacks = FoldedStacks()
        var unknownFrames = 0.0
        var frames = 0.0
        var unresolved = 0.0
        var lost = 0.0
    }

    static let lostStack = "[lost stack]"

    func frames(of entry: StackMaps.Entry, maps: StackMaps) -> [String] {
        var user: [String] = []
        if let ips = maps.stack(entry.userStack) {
            var addresses = ips.enumerated().map { (address: $0.element, isReturn: $0.offset > 0) }
            if entry.caller != 0, addresses.count < 2 || addresses[1].address != entry.caller {
                addresses.insert((entry.caller, true), at: min(1, addresses.count))
            }
            user = addresses.map { symbols.user($0.address, tgid: entry.tgid, isReturnAddress: $0.isReturn) }
        } else if entry.userStack != -14 {
            user = [Self.lostStack]
        }
        var kernel: [String] = []
        if let ips = maps.stack(entry.kernelStack) {
            kernel = ips.map { symbols.kernel($0) }
        } else if entry.kernelStack != -14 {
            kernel = [Self.lostStack + "_[k]"]
        }
        return [symbols.command(entry.tgid)] + user.reversed() + kernel.reversed()
    }

    /// Folds `entries`, taking each one's value from `value` (nil leaves it out).
    func fold(_ entries: [StackMaps.Entry], maps: StackMaps, value: (StackMaps.Entry) -> Double?) -> Folded {
        var result = Folded()
        for entry in entries {
            guard let v = value(entry), v > 0 else { continue }
            let frames = frames(of: entry, maps: maps)
            let unknown = frames.dropFirst().filter { $0.hasPrefix(Symbolizer.unknown) }.count
            result.unknownFrames += Double(unknown) * v
            result.frames += Double(frames.count - 1) * v
            let lost = frames.contains { $0.hasPrefix(Self.lostStack) }
            if unknown > 0 || lost { result.unresolved += v }
            if lost { result.lost += v }
            result.stacks.values[frames.joined(separator: ";"), default: 0] += v
        }
        return result
    }
}
