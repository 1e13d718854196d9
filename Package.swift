// swift-tools-version:6.1
import PackageDescription

// Surge — a benchmarking and profiling harness. Module map: see README.md ("Layout").
// Dependencies point one way: surge → SurgeRunner → (SurgeLoad, SurgeProbes, SurgeResults,
// SurgeScenario) → SurgeStats; Load → Wire; Components → Wire. Components know nothing of the harness.

let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")

let package = Package(
    name: "Surge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "surge", targets: ["surge"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // MARK: command-line tool
        .executableTarget(
            name: "surge",
            dependencies: [
                "SurgeRunner", "SurgeScenario", "SurgeResults", "SurgeLoad",
                "HTTPServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                nioCore, nioPosix,
            ]
        ),

        // MARK: harness
        .target(name: "SurgeScenario", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "SurgeResults", dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")]),
        .target(
            name: "SurgeLoad",
            dependencies: [
                nioCore, nioPosix, .product(name: "Histogram", package: "hdrhistogram-swift"),
                "HTTPWire",
            ]
        ),
        .target(
            name: "SurgeRunner",
            dependencies: ["SurgeScenario", "SurgeResults", "SurgeLoad", nioCore, nioPosix]
        ),

        // MARK: wire codecs
        .target(name: "HTTPWire", dependencies: [nioCore], path: "Sources/Wire/HTTPWire"),

        // MARK: components
        .target(name: "HTTPServer", dependencies: ["HTTPWire", nioCore, nioPosix, .product(name: "NIOConcurrencyHelpers", package: "swift-nio")], path: "Sources/Components/HTTPServer"),

        // MARK: benchmark executables
        .executableTarget(name: "surge-http-bench", dependencies: ["SurgeLoad", "HTTPServer", nioCore, nioPosix], path: "Sources/SurgeHTTPBench"),

        // MARK: tests
        .testTarget(
            name: "HTTPWireTests",
            dependencies: ["HTTPWire", nioCore, .product(name: "NIOTestUtils", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTPWire", nioCore, nioPosix]),
        .testTarget(name: "SurgeLoadHTTPTests", dependencies: ["SurgeLoad", "HTTPServer", "HTTPWire", nioCore, nioPosix]),
        .testTarget(name: "SurgeResultsTests", dependencies: ["SurgeResults"]),
    ]
)
