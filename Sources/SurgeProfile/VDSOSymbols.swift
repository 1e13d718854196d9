import Foundation
import Glibc

/// Function names of the vDSO (`__vdso_clock_gettime`, ...): the kernel's code mapped into every
/// process as `[vdso]`, with no file on disk for libbcc to read, so its frames were `[unknown]`
/// (a server that reads the clock per message spends much of its time there). Every process of
/// one kernel maps the same image, so Surge reads the symbols of its own (mapped where /proc/self/maps says)
/// and names a target's address by its offset from the start of the target's `[vdso]` mapping.
struct VDSOSymbols: Sendable {
    private(set) var functions: [(start: UInt64, end: UInt64, name: String)] = []

    static let shared = VDSOSymbols()

    private init() {
        guard let base = Self.start(pid: UInt32(getpid())), let image = UnsafeRawPointer(bitPattern: UInt(base))
        else { return }
        func u(_ at: Int, _ size: Int) -> UInt64 {
            (0..<size).reduce(UInt64(0)) {
                $0 | UInt64(image.load(fromByteOffset: at + $1, as: UInt8.self)) << (8 * UInt64($1))
            }
        }
        guard u(0, 4) == 0x464c_457f, u(4, 1) == 2 else { return }
        let (shoff, shnum) = (Int(u(0x28, 8)), Int(u(0x3c, 2)))
        guard shoff > 0, shnum > 0, shnum < 100 else { return }
        for i in 0..<shnum where u(shoff + i * 64 + 4, 4) == 11 {  // SHT_DYNSYM
            let at = shoff + i * 64
            let (address, offset, size) = (u(at + 16, 8), Int(u(at + 24, 8)), Int(u(at + 32, 8)))
            let strtab = Int(u(shoff + Int(u(at + 40, 4)) * 64 + 24, 8))
            for s in stride(from: offset, to: offset + size, by: 24) where u(s + 4, 1) & 0xf == 2 {  // STT_FUNC
                let value = u(s + 8, 8)
                let length = u(s + 16, 8)
                guard length > 0, value >= address - UInt64(offset) else { continue }
                let name = String(
                    cString: image.advanced(by: strtab + Int(u(s, 4))).assumingMemoryBound(to: CChar.self))
                let start = value - (address - UInt64(offset))
                functions.append((start, start + length, name))
            }
        }
        // Aliases share an address: `__vdso_clock_gettime` before its weak alias `clock_gettime`.
        functions.sort {
            ($0.start, $0.name.hasPrefix("__vdso_") ? 0 : 1) < ($1.start, $1.name.hasPrefix("__vdso_") ? 0 : 1)
        }
    }

    /// The function at `offset` from the start of the image.
    func name(at offset: UInt64) -> String? {
        functions.first { $0.start <= offset && offset < $0.end }?.name
    }

    /// Where process `pid` maps its vDSO, from /proc/PID/maps.
    static func start(pid: UInt32) -> UInt64? {
        // Read to the end: /proc files report size 0, so a read by size gets nothing.
        guard let file = FileHandle(forReadingAtPath: "/proc/\(pid)/maps") else { return nil }
        defer { try? file.close() }
        let maps = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        guard let line = maps.split(separator: "\n").first(where: { $0.hasSuffix("[vdso]") }),
            let dash = line.firstIndex(of: "-")
        else { return nil }
        return UInt64(line[..<dash], radix: 16)
    }
}
