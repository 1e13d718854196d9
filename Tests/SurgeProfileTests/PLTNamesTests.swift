import Foundation
import XCTest

@testable import SurgeProfile

/// PLT stubs are named `function@plt` from the ELF file's relocations, as perf names them: checked
/// against this test process's own executable and libc, whose stubs objdump lists the same way.
final class PLTNamesTests: XCTestCase {
    func testStubsOfThisExecutableAreNamedByTheirTargets() throws {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let plt = PLTNames(path: executable)
        XCTAssertGreaterThan(plt.stubs.count, 10, "\(executable) has PLT stubs")
        XCTAssertTrue(plt.stubs.allSatisfy { $0.name.hasSuffix("@plt") && $0.end > $0.start })
        let names = Set(plt.stubs.map(\.name))
        XCTAssertTrue(
            names.contains("swift_retain@plt") || names.contains("malloc@plt"), "\(names.sorted().prefix(20))")
        let first = try XCTUnwrap(plt.stubs.first)
        XCTAssertEqual(plt.name(at: first.start), first.name)
        XCTAssertEqual(plt.name(at: first.end - 1), first.name)
        XCTAssertNil(plt.name(at: 0), "the ELF header is no stub")
        XCTAssertTrue(PLTNames(path: "/nonexistent").stubs.isEmpty)
    }
}

/// vDSO frames are named from this process's own vDSO image (the same in every process).
final class VDSOSymbolsTests: XCTestCase {
    func testTheClockFunctionsOfTheVDSOHaveNames() throws {
        let functions = VDSOSymbols.shared.functions
        XCTAssertTrue(functions.contains { $0.name.contains("clock_gettime") }, "\(functions.map(\.name))")
        let clock = try XCTUnwrap(functions.first { $0.name.contains("clock_gettime") })
        XCTAssertNotNil(VDSOSymbols.shared.name(at: clock.start + 1))
        XCTAssertNotNil(VDSOSymbols.start(pid: UInt32(getpid())))
    }
}
