import Foundation

/// Names of an ELF file's PLT stubs (`write@plt`): a sample or a frame in a stub (the jump to a
/// shared library's function, taken on every call into it) has no symbol of its own, so libbcc
/// leaves it `[unknown]`; perf names it `function@plt`, and so does Surge. Each stub of `.plt`,
/// `.plt.sec` and `.plt.got` is decoded (`jmp *slot(%rip)`), and the relocation of the slot it
/// jumps through names the function. Keyed by file offset, as the symbolizer reports addresses.
struct PLTNames {
    private(set) var stubs: [(start: UInt64, end: UInt64, name: String)] = []

    /// The stubs of the x86-64 ELF file at `path`; empty when it has none or cannot be read.
    init(path: String, demangle: (String) -> String = { $0 }) {
        guard let file = FileHandle(forReadingAtPath: path) else { return }
        defer { try? file.close() }
        func read(_ offset: UInt64, _ count: Int) -> [UInt8] {
            guard (try? file.seek(toOffset: offset)) != nil, let data = try? file.read(upToCount: count) else {
                return []
            }
            return [UInt8](data)
        }
        func u(_ b: [UInt8], _ at: Int, _ size: Int) -> UInt64 {
            guard at + size <= b.count else { return 0 }
            return (0..<size).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
        }
        let header = read(0, 64)
        guard header.count == 64, header[0..<4] == [0x7f, 0x45, 0x4c, 0x46], header[4] == 2, u(header, 18, 2) == 62
        else { return }
        let (shoff, shnum, shstrndx) = (u(header, 0x28, 8), Int(u(header, 0x3c, 2)), Int(u(header, 0x3e, 2)))
        guard shnum > 0, shnum < 10_000, shstrndx < shnum else { return }
        let table = read(shoff, shnum * 64)
        guard table.count == shnum * 64 else { return }
        struct Section { var name: UInt64, type: UInt64, address: UInt64, offset: UInt64, size: UInt64, link: Int }
        let sections = (0..<shnum).map { i -> Section in
            let at = i * 64
            return Section(
                name: u(table, at, 4), type: u(table, at + 4, 4), address: u(table, at + 16, 8),
                offset: u(table, at + 24, 8), size: u(table, at + 32, 8), link: Int(u(table, at + 40, 4)))
        }
        let names = read(sections[shstrndx].offset, Int(min(sections[shstrndx].size, 1 << 20)))
        func name(_ s: Section) -> String {
            let start = Int(s.name)
            guard start < names.count else { return "" }
            return String(decoding: names[start...].prefix { $0 != 0 }, as: UTF8.self)
        }
        // Relocations (RELA, type 4) whose symbols are in the dynamic symbol table: slot address → name.
        var slots: [UInt64: String] = [:]
        for rela in sections where rela.type == 4 && rela.link < shnum && rela.size < 64 << 20 {
            let symtab = sections[rela.link]
            guard symtab.link < shnum else { continue }
            let strtab = read(sections[symtab.link].offset, Int(min(sections[symtab.link].size, 64 << 20)))
            let entries = read(rela.offset, Int(rela.size))
            for at in stride(from: 0, to: entries.count - 23, by: 24) {
                let symbol = Int(u(entries, at + 8, 8) >> 32)
                guard symbol > 0 else { continue }
                let sym = read(symtab.offset + UInt64(symbol) * 24, 24)
                let start = Int(u(sym, 0, 4))
                guard start > 0, start < strtab.count else { continue }
                slots[u(entries, at, 8)] = String(decoding: strtab[start...].prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        for plt in sections where [".plt", ".plt.sec", ".plt.got"].contains(name(plt)) && plt.size < 16 << 20 {
            let code = read(plt.offset, Int(plt.size))
            let size = name(plt) == ".plt.got" ? 8 : 16
            for entry in stride(from: 0, to: code.count - size + 1, by: size) {
                // `ff 25 rel32` (jmp *rel32(%rip)), possibly after endbr64 and a bnd prefix.
                guard
                    let p = (0...(size - 6)).first(where: { code[entry + $0] == 0xff && code[entry + $0 + 1] == 0x25 })
                else { continue }
                let rel = Int64(Int32(bitPattern: UInt32(u(code, entry + p + 2, 4))))
                let slot = UInt64(Int64(plt.address) + Int64(entry + p + 6) + rel)
                guard let target = slots[slot] else { continue }
                let start = plt.offset + UInt64(entry)
                stubs.append((start, start + UInt64(size), "\(demangle(target))@plt"))
            }
        }
        stubs.sort { $0.start < $1.start }
    }

    /// The stub at file offset `offset`, if any.
    func name(at offset: UInt64) -> String? {
        var lo = 0
        var hi = stubs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if stubs[mid].end <= offset { lo = mid + 1 } else { hi = mid }
        }
        return lo < stubs.count && stubs[lo].start <= offset ? stubs[lo].name : nil
    }
}
