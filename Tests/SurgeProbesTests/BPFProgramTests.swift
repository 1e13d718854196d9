import Foundation
import Glibc
@testable import SurgeProbes
import XCTest

final class BPFProgramTests: XCTestCase {
    func testEncodingFollowsTheKernelLayout() throws {
        var p = BPFProgram()
        p.mov(.r0, 0)
        p.loadDW(.r1, .r6, 8)
        p.jumpIfNotEqual(.r0, 1234, to: "out")
        p.loadMapFD(.r1, 7)
        p.label("out")
        p.exit()
        let bytes = try p.resolved().map(\.bytes)
        XCTAssertEqual(bytes[0], [0xb7, 0x00, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(bytes[1], [0x79, 0x61, 8, 0, 0, 0, 0, 0], "dst r1 in the low nibble, src r6 in the high one")
        XCTAssertEqual(bytes[2], [0x55, 0x00, 2, 0, 0xd2, 0x04, 0, 0], "skips the two-slot ld_imm64")
        XCTAssertEqual(bytes[3], [0x18, 0x11, 0, 0, 7, 0, 0, 0], "src 1 marks a map fd")
        XCTAssertEqual(bytes[4], [0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(bytes[5], [0x95, 0, 0, 0, 0, 0, 0, 0])
    }

    func testUndefinedLabelIsAnError() {
        var p = BPFProgram()
        p.jump(to: "nowhere")
        XCTAssertThrowsError(try p.resolved())
    }

    func testSyscallTableNamesThisArchitecture() {
        #if arch(x86_64)
        XCTAssertEqual(SyscallTable.name(1), "write")
        XCTAssertEqual(SyscallTable.number("getppid"), 110)
        XCTAssertEqual(SyscallTable.name(435), "clone3")
        #endif
        XCTAssertEqual(SyscallTable.name(100_000), "sys_100000")
    }
}

final class UprobeOffsetTests: XCTestCase {
    /// `free` starts with `test %rdi,%rdi`, which the kernel single-steps (~14 µs per hit): the
    /// probe goes on the next instruction. Read from this machine's libc, not assumed.
    func testFreeIsProbedPastItsFirstInstruction() throws {
        try Requirements.root("resolving libc symbols for uprobes")
        let libc = try XCTUnwrap(TargetBinary(pid: getpid()).libc, "this test process maps no libc")
        let free = try XCTUnwrap(UprobeAllocationCounter.symbolOffset(library: libc, symbol: "free", pid: getpid()))
        let malloc = try XCTUnwrap(UprobeAllocationCounter.symbolOffset(library: libc, symbol: "malloc", pid: getpid()))
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: libc))
        try handle.seek(toOffset: free)
        let firstBytes = [UInt8](try XCTUnwrap(handle.read(upToCount: 3)))
        if firstBytes == [0x48, 0x85, 0xff] {
            XCTAssertEqual(UprobeAllocationCounter.fastProbeSkip(library: libc, offset: free).bytes, 3)
        }
        XCTAssertNotEqual(free, malloc)
    }
}
