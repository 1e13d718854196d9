import FuzzSupport
import HTTPWire
import NIOCore

/// HTTPRequestParser: whole vs piecewise delivery agree; body slices are joined before comparing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let limits = HTTPRequestLimits(maxRequestLineBytes: 256, maxHeaderBytes: 1024, maxHeaderCount: 20, maxBodyBytes: 4096)
    Differential.check(
        data, size,
        make: { HTTPRequestParser(limits: limits) },
        next: { parser, buffer in try parser.next(&buffer) },
        normalize: { parts in
            var out: [String] = []
            var body: [UInt8] = []
            for part in parts {
                switch part {
                case .head(let h):
                    out.append("head \(h.method) \(h.target) \(h.version) \(h.framing) \(h.connection) \(h.expectContinue) \(h.headers.map { "\($0.name)=\($0.value)" }) \(h.path) \(h.query ?? "-")")
                case .body(let b):
                    body += b.readableBytesView
                case .end:
                    out.append("body \(body)")
                    out.append("end")
                    body = []
                }
            }
            if !body.isEmpty { out.append("partial body \(body)") }
            return out
        }
    )
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("fuzz_http_request_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzDriver.run(argc, argv) { data, size in data.map { fuzzHTTPRequest($0, size) } ?? 0 }
}
