import FuzzSupport
import Foundation
import SurgeResults

/// RunResultCodec.decode on arbitrary bytes: a result or a ResultFileError, never a trap; a decoded
/// result encodes again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResult(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let run = try? RunResultCodec.decode(Data(bytes: data, count: size), path: "fuzz.json") else { return 0 }
    _ = try? RunResultCodec.encode(run)
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("fuzz_result_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzDriver.run(argc, argv) { data, size in data.map { fuzzResult($0, size) } ?? 0 }
}
