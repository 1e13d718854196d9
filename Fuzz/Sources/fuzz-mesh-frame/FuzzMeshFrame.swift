import FuzzSupport
import MeshWire
import NIOCore

/// MeshFrameParser: whole vs piecewise delivery agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMeshFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    Differential.check(
        data, size,
        make: { MeshFrameParser(maxFrame: 1 << 16) },
        next: { parser, buffer in try parser.next(&buffer) }
    )
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("fuzz_mesh_frame_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzDriver.run(argc, argv) { data, size in data.map { fuzzMeshFrame($0, size) } ?? 0 }
}
