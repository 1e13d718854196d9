// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Surge's parsers (issue 11 point 9). Not part of the main package: the targets
// are built with `-sanitize=fuzzer,address` by Scripts/fuzz into .build-fuzz. Sources/<module> are
// symlinks to the real modules, so the fuzzers exercise exactly the shipped code. SurgeResults is
// built without its history store (GRDB), which the decoders do not use.

let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")

let package = Package(
    name: "SurgeFuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .target(name: "HTTPWire", dependencies: [nioCore]),
        .target(name: "NATSWire", dependencies: [nioCore]),
        .target(name: "MeshWire", dependencies: [nioCore]),
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver", nioCore]),
        .target(name: "SurgeScenario", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(
            name: "SurgeResults",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")],
            exclude: ["HistoryStore.swift", "HistoryError.swift"]
        ),
        .executableTarget(name: "fuzz-http-request", dependencies: ["FuzzSupport", "HTTPWire", nioCore]),
        .executableTarget(name: "fuzz-http-response", dependencies: ["FuzzSupport", "HTTPWire", nioCore]),
        .executableTarget(name: "fuzz-nats", dependencies: ["FuzzSupport", "NATSWire", nioCore]),
        .executableTarget(name: "fuzz-mesh-frame", dependencies: ["FuzzSupport", "MeshWire", nioCore]),
        .executableTarget(name: "fuzz-scenario", dependencies: ["FuzzSupport", "SurgeScenario"]),
        .executableTarget(name: "fuzz-benchfmt", dependencies: ["FuzzSupport", "SurgeResults"]),
        .executableTarget(name: "fuzz-result", dependencies: ["FuzzSupport", "SurgeResults"]),
    ]
)
