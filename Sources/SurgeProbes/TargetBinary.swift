import Foundation
import Glibc

/// What a target's executable tells about its allocator: whether it maps glibc at all (a static
/// binary does not, so neither preload nor uprobes on libc can see it) and whether it is a Go
/// program (its heap does not go through malloc; cgo programs map libc but allocate elsewhere).
package struct TargetBinary {
    let pid: Int32
    let executable: String
    let libc: String?
    /// A malloc replacement the target loads (jemalloc, tcmalloc, mimalloc), if any.
    let replacementAllocator: String?
    let isGo: Bool
    /// False when this process may not read the target's /proc/PID/maps (another user's process).
    let mapsReadable: Bool

    /// The library whose malloc the target calls: a replacement allocator when one is mapped
    /// (glibc's malloc then sees nothing), else libc.
    package var allocatorLibrary: String? { replacementAllocator ?? libc }

    package init(pid: Int32) throws(ProbeError) {
        self.pid = pid
        guard ProcFile.processExists(pid) else { throw .noSuchProcess(pid) }
        executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? "/proc/\(pid)/exe"
        // A process that has just exec'd may not have its libraries mapped yet: give the dynamic
        // loader of a dynamically linked executable (one with .interp) up to ~200 ms to map libc.
        var maps = (try? ProcFile.read("/proc/\(pid)/maps")) ?? ""
        let dynamic = Self.sectionNames(of: "/proc/\(pid)/exe").contains(".interp")
        for _ in 0..<200 where dynamic && !maps.isEmpty && !maps.contains("/libc.so") && !maps.contains("/libc-") {
            usleep(1000)
            maps = (try? ProcFile.read("/proc/\(pid)/maps")) ?? ""
        }
        mapsReadable = !maps.isEmpty
        let mapped = maps.split(separator: "\n").compactMap { line -> String? in
            guard let slash = line.firstIndex(of: "/") else { return nil }
            return String(line[slash...])
        }
        func first(_ prefixes: [String]) -> String? {
            mapped.first { path in
                let file = path.split(separator: "/").last.map(String.init) ?? ""
                return prefixes.contains { file.hasPrefix($0) }
            }
        }
        libc = first(["libc.so", "libc-"])
        replacementAllocator = first(["libjemalloc.so", "libtcmalloc", "libmimalloc.so"])
        isGo = Self.sectionNames(of: "/proc/\(pid)/exe").contains { $0 == ".go.buildinfo" || $0 == ".note.go.buildid" }
    }

    /// Why allocation counts of this target would mislead, or nil when malloc is its allocator.
    var mallocRefusal: String? {
        let name = ProcFile.commandName(pid)
        if !mapsReadable {
            return "allocations are not measured: \(name) (pid \(pid)) belongs to another user; its /proc/\(pid)/maps is not readable (needs root or the same user)"
        }
        if isGo { return "\(name) (pid \(pid)) is a Go program: its heap does not allocate through malloc, so allocation counts are not reported" }
        if libc == nil { return "\(name) (pid \(pid)) does not load glibc (statically linked): its malloc calls cannot be counted, so allocation counts are not reported" }
        return nil
    }

    /// Section names of a 64-bit little-endian ELF file (empty when it is not one).
    static func sectionNames(of path: String) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        func read(_ offset: UInt64, _ count: Int) -> [UInt8] {
            guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: count) else { return [] }
            return [UInt8](data)
        }
        func integer(_ bytes: [UInt8], _ at: Int, _ size: Int) -> UInt64 {
            guard at + size <= bytes.count else { return 0 }
            return (0..<size).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
        }
        let header = read(0, 64)
        guard header.count == 64, header[0..<4] == [0x7f, 0x45, 0x4c, 0x46], header[4] == 2, header[5] == 1 else { return [] }
        let shoff = integer(header, 0x28, 8), shentsize = Int(integer(header, 0x3a, 2))
        let shnum = Int(integer(header, 0x3c, 2)), shstrndx = Int(integer(header, 0x3e, 2))
        guard shoff > 0, shentsize >= 64, shnum > 0, shnum < 10_000, shstrndx < shnum else { return [] }
        let table = read(shoff, shentsize * shnum)
        guard table.count == shentsize * shnum else { return [] }
        let strings = read(integer(table, shstrndx * shentsize + 0x18, 8), Int(min(integer(table, shstrndx * shentsize + 0x20, 8), 1 << 20)))
        return (0..<shnum).map { index in
            let start = Int(integer(table, index * shentsize, 4))
            guard start < strings.count else { return "" }
            return String(decoding: strings[start...].prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
