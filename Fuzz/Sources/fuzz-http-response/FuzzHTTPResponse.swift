import FuzzSupport
import HTTPWire
import NIOCore

/// HTTPResponseParser (collecting, then `finish` at the close): whole vs piecewise delivery agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let headRequests = size > 0 && data[0] & 0x40 != 0
    Differential.check(
        data, size,
        make: { HTTPResponseParser(collect: true, headRequests: headRequests, maxHeaderBytes: 2048) },
        next: { parser, buffer in try parser.next(&buffer) },
        finish: { parser, _ in try parser.finish() }
    )
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("fuzz_http_response_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzDriver.run(argc, argv) { data, size in data.map { fuzzHTTPResponse($0, size) } ?? 0 }
}
