import CBCC
import Foundation
import Glibc

@_silgen_name("swift_demangle")
private func swiftDemangle(
    _ mangled: UnsafePointer<CChar>?, _ length: Int, _ output: UnsafeMutablePointer<CChar>?,
    _ outputSize: UnsafeMutablePointer<Int>?, _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?

/// Turns return addresses into function names with libbcc's symbolizer (ELF `.symtab` and
/// `.dynsym` of the executable and every mapped library, debug files where installed, C++ names
/// demangled by it) and Swift names demangled by the Swift runtime's `swift_demangle`. One cache
/// per process, refreshed while the process lives (`refresh`) so libraries it loads later are
/// known; names already resolved are kept, so a process that has exited still has its stacks
/// named. An address no symbol covers is `[unknown]`.
final class Symbolizer {
    static let unknown = "[unknown]"
    private var caches: [UInt32: UnsafeMutableRawPointer] = [:]
    private var kernel: UnsafeMutableRawPointer?
    private var names: [UInt64: String] = [:]
    private var kernelNames: [UInt64: String] = [:]
    private var commands: [UInt32: String] = [:]
    private var gone = Set<UInt32>()

    /// The process's command name (its comm), kept after it exits.
    func command(_ tgid: UInt32) -> String {
        if let name = commands[tgid] { return name }
        let text = (try? String(contentsOfFile: "/proc/\(tgid)/comm", encoding: .utf8)) ?? "pid \(tgid)"
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ";", with: ":")
        commands[tgid] = name.isEmpty ? "pid \(tgid)" : name
        return commands[tgid]!
    }

    private func cache(for tgid: UInt32) -> UnsafeMutableRawPointer? {
        if let cache = caches[tgid] { return cache }
        guard !gone.contains(tgid), kill(Int32(bitPattern: tgid), 0) == 0 else {
            gone.insert(tgid)
            return nil
        }
        var option = bcc_symbol_option(use_debug_file: 1, check_debug_file_crc: 1, lazy_symbolize: 1,
                                       use_symbol_type: (1 << 2) | (1 << 10))  // STT_FUNC, STT_GNU_IFUNC
        let cache = bcc_symcache_new(Int32(bitPattern: tgid), &option)
        caches[tgid] = cache
        _ = command(tgid)
        return cache
    }

    /// Rereads the memory maps of the processes still alive (libraries loaded since).
    func refresh() {
        for (tgid, cache) in caches where kill(Int32(bitPattern: tgid), 0) == 0 { bcc_symcache_refresh(cache) }
    }

    /// The name of user address `address` in process `tgid`. A return address is looked up one
    /// byte earlier, inside the call instruction (a call can be a function's last instruction).
    func user(_ address: UInt64, tgid: UInt32, isReturnAddress: Bool) -> String {
        let lookup = isReturnAddress && address > 0 ? address - 1 : address
        let key = UInt64(tgid) << 48 ^ lookup
        if let name = names[key] { return name }
        guard let cache = cache(for: tgid) else { return Self.unknown }
        var sym = bcc_symbol()
        var name = Self.unknown
        if bcc_symcache_resolve(cache, lookup, &sym) == 0 {
            let raw = sym.name.map { String(cString: $0) } ?? ""
            let demangled = sym.demangle_name.map { String(cString: $0) } ?? raw
            name = Self.demangle(raw) ?? (demangled.isEmpty ? Self.unknown : SwiftNameSimplifier.simplifyCPlusPlus(demangled))
            bcc_symbol_free_demangle_name(&sym)
        } else if let module = sym.module.map({ String(cString: $0) }) {
            // An address inside a mapped file that no symbol covers: a PLT stub (`write@plt`), or
            // a function whose symbol was stripped; then say which file.
            let vdso = module == "[vdso]" ? vdsoName(lookup, tgid: tgid) : nil
            name = vdso ?? plt(module).name(at: sym.offset)
                ?? "\(Self.unknown) (\((module as NSString).lastPathComponent))"
        }
        names[key] = name
        return name
    }

    private var pltStubs: [String: PLTNames] = [:]
    private var vdsoStarts: [UInt32: UInt64] = [:]

    /// The vDSO function at `address` of process `tgid` (see `VDSOSymbols`).
    private func vdsoName(_ address: UInt64, tgid: UInt32) -> String? {
        if vdsoStarts[tgid] == nil { vdsoStarts[tgid] = VDSOSymbols.start(pid: tgid) }
        guard let start = vdsoStarts[tgid], address >= start else { return nil }
        return VDSOSymbols.shared.name(at: address - start)
    }

    /// The PLT stubs of a mapped file (read once per file), their targets demangled.
    private func plt(_ path: String) -> PLTNames {
        if let known = pltStubs[path] { return known }
        let stubs = PLTNames(path: path) { Self.demangle($0) ?? $0 }
        pltStubs[path] = stubs
        return stubs
    }

    /// The name of kernel address `address`, with FlameGraph's `_[k]` suffix.
    func kernel(_ address: UInt64) -> String {
        if let name = kernelNames[address] { return name }
        if kernel == nil {
            var option = bcc_symbol_option(use_debug_file: 0, check_debug_file_crc: 0, lazy_symbolize: 1, use_symbol_type: 0xffff)
            kernel = bcc_symcache_new(-1, &option)
        }
        var sym = bcc_symbol()
        var name = Self.unknown
        if let kernel, bcc_symcache_resolve_no_demangle(kernel, address, &sym) == 0, let raw = sym.name {
            name = String(cString: raw) + "_[k]"
        }
        kernelNames[address] = name
        return name
    }

    /// A Swift symbol's demangled name (nil for other names).
    static func demangle(_ name: String) -> String? {
        guard name.hasPrefix("$s") || name.hasPrefix("_$s") || name.hasPrefix("$S") || name.hasPrefix("_T0") else { return nil }
        return name.withCString { pointer -> String? in
            guard let result = swiftDemangle(pointer, strlen(pointer), nil, nil, 0) else { return nil }
            defer { free(result) }
            return SwiftNameSimplifier.simplify(String(cString: result)).replacingOccurrences(of: ";", with: ":")
        }
    }

    func close() {
        for (tgid, cache) in caches { bcc_free_symcache(cache, Int32(bitPattern: tgid)) }
        caches = [:]
        if let kernel { bcc_free_symcache(kernel, -1) }
        kernel = nil
    }

    deinit { close() }
}
