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
        // MARK: reports and history
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // MARK: command-line tool
        .executableTarget(
            name: "surge",
            dependencies: [
                "SurgeRunner", "SurgeScenario", "SurgeResults", "SurgeLoad",
                "Broker",
                "SurgeReport", "SurgeStats",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                nioCore, nioPosix,
            ]
        ),

        // MARK: harness
        .target(name: "SurgeScenario", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(
            name: "SurgeResults",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift"), .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "SurgeLoad",
            dependencies: [nioCore, nioPosix, "NATSWire", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .target(
            name: "SurgeRunner",
            dependencies: ["SurgeScenario", "SurgeResults", "SurgeLoad", "CSurgeSystem", nioCore, nioPosix]
        ),

        .target(name: "CSurgeSystem"),

        // MARK: wire codecs
        .target(name: "NATSWire", dependencies: [nioCore], path: "Sources/Wire/NATSWire"),

        // MARK: components
        .target(name: "Broker", dependencies: ["NATSWire", nioCore, nioPosix], path: "Sources/Components/Broker"),

        // MARK: tests
        .testTarget(name: "SurgeResultsTests", dependencies: ["SurgeResults", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .testTarget(name: "SurgeScenarioTests", dependencies: ["SurgeScenario"]),
        .testTarget(name: "SurgeRunnerTests", dependencies: ["SurgeRunner", "SurgeScenario", "SurgeResults", "SurgeLoad"]),
        .testTarget(name: "EndToEndTests", dependencies: ["SurgeResults", "SurgeRunner"]),
        .testTarget(
            name: "NATSWireTests",
            dependencies: ["NATSWire", nioCore, .product(name: "NIOTestUtils", package: "swift-nio")]
        ),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "NATSWire", nioCore, nioPosix]),
        // MARK: statistics and comparison (compare)
        .target(name: "SurgeStats"),
        .target(name: "SurgeReport", dependencies: ["SurgeResults", "SurgeStats", .product(name: "Mustache", package: "swift-mustache")]),

        // MARK: reports and history (report, history)
        .testTarget(
            name: "SurgeReportTests",
            dependencies: ["SurgeReport", "SurgeResults", "SurgeStats", .product(name: "Histogram", package: "hdrhistogram-swift")],
            exclude: ["Golden"]
        ),
        .testTarget(name: "HistoryTests", dependencies: ["SurgeResults"]),
        .testTarget(name: "ReportHTMLTests", dependencies: ["SurgeReport", "SurgeResults", "SurgeStats", .product(name: "Histogram", package: "hdrhistogram-swift")]),

    ]
)
