import FuzzSupport
import Foundation
import SurgeResults

/// BenchFmtReader on arbitrary bytes: records and syntax errors, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBenchFmt(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = BenchFmtReader()
    let file = reader.parse(Data(bytes: data, count: size), label: "fuzz")
    for error in file.errors { precondition(!error.description.isEmpty, "a syntax error without a message") }
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("fuzz_benchfmt_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzDriver.run(argc, argv) { data, size in data.map { fuzzBenchFmt($0, size) } ?? 0 }
}
