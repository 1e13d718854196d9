import FuzzSupport
import NATSWire
import NIOCore

/// NATS client-op and server-op parsers (bit 7 of the first byte picks one): whole vs piecewise agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNATS(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if size > 0, data[0] & 0x80 == 0 {
        Differential.check(
            data, size,
            make: { NATSClientOpParser(maxControlLine: 512, maxPayload: 4096) },
            next: { parser, buffer in try parser.next(&buffer) }
        )
    } else {
        Differential.check(
            data, size,
            make: { NATSServerOpParser(maxControlLine: 512, maxPayload: 4096) },
            next: { parser, buffer in try parser.next(&buffer) }
        )
    }
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("fuzz_nats_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzDriver.run(argc, argv) { data, size in data.map { fuzzNATS($0, size) } ?? 0 }
}
