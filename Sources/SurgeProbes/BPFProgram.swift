import CBCC
import Glibc

/// An eBPF register. r1 holds the context on entry, r0 the return value, r6–r9 survive helper
/// calls, r10 is the read-only frame pointer.
public enum BPFRegister: UInt8, Sendable {
    case r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10
}

/// One 8-byte eBPF instruction: opcode, dst (low nibble) and src (high nibble) registers, a signed
/// 16-bit offset and a signed 32-bit immediate, little endian.
public struct BPFInstruction: Sendable, Equatable {
    public var opcode: UInt8
    public var dst: UInt8
    public var src: UInt8
    public var offset: Int16
    public var immediate: Int32

    public var bytes: [UInt8] {
        let off = UInt16(bitPattern: offset), imm = UInt32(bitPattern: immediate)
        return [opcode, (src << 4) | (dst & 0x0f), UInt8(off & 0xff), UInt8(off >> 8),
                UInt8(imm & 0xff), UInt8((imm >> 8) & 0xff), UInt8((imm >> 16) & 0xff), UInt8(imm >> 24)]
    }
}

/// Builds an eBPF program instruction by instruction (libbcc's C macros do not import into Swift),
/// with named labels for forward jumps, and loads it through `bcc_prog_load`.
public struct BPFProgram: Sendable {
    public private(set) var instructions: [BPFInstruction] = []
    private var labels: [String: Int] = [:]
    private var fixups: [(index: Int, label: String)] = []

    public init() {}

    private mutating func emit(_ op: UInt8, _ dst: BPFRegister = .r0, _ src: BPFRegister = .r0, _ off: Int16 = 0, _ imm: Int32 = 0) {
        instructions.append(BPFInstruction(opcode: op, dst: dst.rawValue, src: src.rawValue, offset: off, immediate: imm))
    }

    public mutating func mov(_ dst: BPFRegister, _ imm: Int32) { emit(0xb7, dst, .r0, 0, imm) }
    public mutating func mov(_ dst: BPFRegister, _ src: BPFRegister) { emit(0xbf, dst, src) }
    public mutating func add(_ dst: BPFRegister, _ imm: Int32) { emit(0x07, dst, .r0, 0, imm) }
    public mutating func add(_ dst: BPFRegister, _ src: BPFRegister) { emit(0x0f, dst, src) }
    public mutating func sub(_ dst: BPFRegister, _ src: BPFRegister) { emit(0x1f, dst, src) }
    public mutating func mul(_ dst: BPFRegister, _ src: BPFRegister) { emit(0x2f, dst, src) }
    public mutating func and(_ dst: BPFRegister, _ imm: Int32) { emit(0x57, dst, .r0, 0, imm) }
    public mutating func lsh(_ dst: BPFRegister, _ imm: Int32) { emit(0x67, dst, .r0, 0, imm) }
    public mutating func rsh(_ dst: BPFRegister, _ imm: Int32) { emit(0x77, dst, .r0, 0, imm) }
    /// dst = *(u64 *)(src + off)
    public mutating func loadDW(_ dst: BPFRegister, _ src: BPFRegister, _ off: Int16) { emit(0x79, dst, src, off) }
    /// dst = *(u32 *)(src + off)
    public mutating func loadW(_ dst: BPFRegister, _ src: BPFRegister, _ off: Int16) { emit(0x61, dst, src, off) }
    /// *(u64 *)(dst + off) = src
    public mutating func storeDW(_ dst: BPFRegister, _ off: Int16, _ src: BPFRegister) { emit(0x7b, dst, src, off) }
    /// *(u32 *)(dst + off) = src
    public mutating func storeW(_ dst: BPFRegister, _ off: Int16, _ src: BPFRegister) { emit(0x63, dst, src, off) }
    /// *(u32 *)(dst + off) = imm
    public mutating func storeW(_ dst: BPFRegister, _ off: Int16, immediate: Int32) { emit(0x62, dst, .r0, off, immediate) }
    /// lock *(u64 *)(dst + off) += src
    public mutating func atomicAddDW(_ dst: BPFRegister, _ off: Int16, _ src: BPFRegister) { emit(0xdb, dst, src, off, 0) }
    /// dst = map fd (ld_imm64 with src = BPF_PSEUDO_MAP_FD; two slots)
    public mutating func loadMapFD(_ dst: BPFRegister, _ fd: Int32) {
        emit(0x18, dst, .r1, 0, fd)
        emit(0x00)
    }
    public mutating func call(_ helper: BPFHelper) { emit(0x85, .r0, .r0, 0, helper.rawValue) }
    public mutating func exit() { emit(0x95) }

    public mutating func jumpIfEqual(_ reg: BPFRegister, _ imm: Int32, to label: String) { jump(0x15, reg, imm, label) }
    public mutating func jumpIfNotEqual(_ reg: BPFRegister, _ imm: Int32, to label: String) { jump(0x55, reg, imm, label) }
    /// Unsigned greater-than.
    public mutating func jumpIfGreater(_ reg: BPFRegister, _ imm: Int32, to label: String) { jump(0x25, reg, imm, label) }
    /// Unsigned greater-or-equal.
    public mutating func jumpIfGreaterOrEqual(_ reg: BPFRegister, _ imm: Int32, to label: String) { jump(0x35, reg, imm, label) }
    public mutating func jump(to label: String) { jump(0x05, .r0, 0, label) }

    private mutating func jump(_ op: UInt8, _ reg: BPFRegister, _ imm: Int32, _ label: String) {
        fixups.append((instructions.count, label))
        emit(op, reg, .r0, 0, imm)
    }

    /// Marks the position of the next instruction as `label`.
    public mutating func label(_ name: String) { labels[name] = instructions.count }

    /// `map[key] += 1` (not atomic: for per-CPU maps) with the 4-byte key already stored at
    /// `stack`; jumps to `missing` when the lookup finds nothing. Uses r0–r2.
    public mutating func incrementMapValue(_ map: Int32, keyAt stack: Int16, missing: String) {
        mov(.r2, .r10)
        add(.r2, Int32(stack))
        loadMapFD(.r1, map)
        call(.mapLookupElem)
        jumpIfEqual(.r0, 0, to: missing)
        loadDW(.r1, .r0, 0)
        add(.r1, 1)
        storeDW(.r0, 0, .r1)
    }

    /// The instructions with jump offsets resolved.
    public func resolved() throws(ProbeError) -> [BPFInstruction] {
        var result = instructions
        for fixup in fixups {
            guard let target = labels[fixup.label] else { throw .misuse("BPF program jumps to undefined label '\(fixup.label)'") }
            result[fixup.index].offset = Int16(target - fixup.index - 1)
        }
        return result
    }

    /// Loads the program into the kernel and returns its fd (owned by the caller).
    public func load(type: BPFProgramType, name: String) throws(ProbeError) -> Int32 {
        let bytes = try resolved().flatMap(\.bytes)
        var log = [CChar](repeating: 0, count: 65536)
        let fd = bytes.withUnsafeBytes { raw -> Int32 in
            let insns = raw.baseAddress!.assumingMemoryBound(to: bpf_insn.self)
            return log.withUnsafeMutableBufferPointer { logBuffer in
                bcc_prog_load(bpf_prog_type(rawValue: type.rawValue), name, insns, Int32(bytes.count), "GPL", 0,
                              1, logBuffer.baseAddress, UInt32(logBuffer.count))
            }
        }
        guard fd >= 0 else {
            let code = errno
            let verifier = String(decoding: log.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "\n").suffix(6).joined(separator: " | ")
            if code == EPERM || code == EACCES {
                throw .unavailable(method: "bpf", reason: "the kernel refused to load a BPF program (\(String(cString: strerror(code)))); needs root or CAP_BPF+CAP_PERFMON")
            }
            throw .systemCall("bcc_prog_load(\(name))\(verifier.isEmpty ? "" : ": verifier says: \(verifier)")", errno: code)
        }
        return fd
    }
}

/// eBPF program types used here.
public enum BPFProgramType: UInt32, Sendable {
    case kprobe = 2          // also uprobes
    case tracepoint = 5
    case rawTracepoint = 17
    case perfEvent = 7
}

/// eBPF helper function numbers.
public enum BPFHelper: Int32, Sendable {
    case mapLookupElem = 1
    case mapUpdateElem = 2
    case mapDeleteElem = 3
    case ktimeGetNs = 5
    case getPrandomU32 = 7
    case getCurrentPidTgid = 14
    case getStackID = 27
    case probeReadUser = 112
}
