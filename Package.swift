// swift-tools-version:6.1
import PackageDescription

// Surge — a benchmarking and profiling harness. Module map: see README.md ("Layout").
// Dependencies point one way: surge → SurgeRunner → (SurgeLoad, SurgeProbes, SurgeResults,
// SurgeScenario) → SurgeStats; SurgeReport → (SurgeResults, SurgeStats); Load → (Wire, SurgeResults);
// SurgeHistory (SQLite through GRDB, PostgreSQL through postgres-nio) → SurgeResults, used by surge only;
// Components → (ComponentKit, Wire). Components know nothing of the harness; only `surge` links them, for `serve`.

let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let histogram: Target.Dependency = .product(name: "Histogram", package: "hdrhistogram-swift")
/// The wire codecs and the components' hot paths, in release builds, without the run-time check that
/// two accesses to one variable do not overlap: it cost 12% of the broker's publish path (profiled:
/// swift_beginAccess, AccessSet::insert and the thread-local lookup behind them, mostly from
/// ByteBuffer code inlined into the parsers). Debug builds, and so the tests, keep the check.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

/// `surge` links the Swift runtime and Foundation statically on Linux: a dynamically linked `surge` spent
/// about 10 ms of every start (20 ms of CPU against 12 ms, `perf stat -r 10 surge --version`) resolving
/// symbols in ld.so and relocating the shared libraries, most of a short command's time (`surge compare`,
/// issue 12). `-static-stdlib` links the runtime; Foundation's static archives and the C libraries
/// under them are named here because the modules were compiled against the shared Foundation, whose
/// module file does not ask for them. C libraries (libbcc, SQLite) stay shared.
let staticRuntime: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-static-stdlib", "-Xlinker", "--start-group", "-lFoundation", "-lFoundationInternationalization",
            "-lFoundationEssentials", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims",
            "-l_FoundationCollections", "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime", "-Xlinker",
            "--end-group", "-lstdc++",
        ], .when(platforms: [.linux]))
]

let package = Package(
    name: "Surge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "surge", targets: ["surge"]),
        // A target that makes exactly the syscalls and allocations it is told to (probe tests).
        .executable(name: "surge-calibrate", targets: ["SurgeCalibrate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // MARK: reports and history
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // MARK: command-line tool
        .executableTarget(
            name: "surge",
            dependencies: [
                "SurgeRunner", "SurgeScenario", "SurgeResults", "SurgeHistory", "SurgeLoad", "SurgeProbes", "SurgeCompare", "SurgeReport", "SurgeStats",
                "SurgeProfile",
                "Broker", "HTTPServer", "Mesh", "StreamProcessor", "Router",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                nioCore, nioPosix,
                "ComponentKit",
            ],
            linkerSettings: staticRuntime
        ),

        // MARK: harness
        .target(name: "SurgeScenario", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "SurgeResults", dependencies: [histogram]),
        // The run history: SQLite (embedded default) or PostgreSQL, one schema, append-only.
        .target(
            name: "SurgeHistory",
            dependencies: [
                "SurgeResults", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(name: "SurgeStats"),
        .target(name: "SurgeLoad", dependencies: ["NATSWire", "HTTPWire", "SurgeResults", nioCore, nioPosix, histogram]),
        .target(
            name: "SurgeRunner",
            dependencies: ["SurgeScenario", "SurgeResults", "SurgeLoad", "SurgeProbes", "SurgeProfile", "SurgeStats", "CSurgeSys", nioCore, nioPosix]
        ),
        // Projection, statistics and the gate: one pipeline for compare, report and ci-regression.
        .target(name: "SurgeCompare", dependencies: ["SurgeResults", "SurgeStats", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "SurgeReport",
            dependencies: ["SurgeCompare", "SurgeResults", "SurgeStats", "SurgeProfile", .product(name: "Mustache", package: "swift-mustache")]
        ),

        // MARK: probes
        .systemLibrary(name: "CBCC", path: "Sources/CBCC"),
        // helpers/: C programs Surge builds with cc on first need (not part of the library).
        .target(name: "CSurgeSys", path: "Sources/CSurgeSys", exclude: ["helpers"]),
        // The LD_PRELOAD allocation counter: plain C, built by Surge itself with `cc` on first need
        // (a SwiftPM dynamic library would link the Swift runtime into every target). Compiled here
        // as a static target only so `swift build` checks it.
        .target(name: "CSurgeAllocCounter", path: "Sources/CSurgeAllocCounter"),
        .executableTarget(name: "SurgeCalibrate", path: "Sources/SurgeCalibrate"),
        .target(name: "SurgeProbes", dependencies: ["CBCC", "CSurgeSys"]),
        // Stack profiles (cpu, off-cpu, allocations), folded stacks, flame graphs and their differential.
        .target(name: "SurgeProfile", dependencies: ["CBCC", "SurgeProbes"]),

        // MARK: wire codecs
        .target(name: "NATSWire", dependencies: [nioCore], path: "Sources/Wire/NATSWire", swiftSettings: hotPath),
        .target(name: "HTTPWire", dependencies: [nioCore], path: "Sources/Wire/HTTPWire", swiftSettings: hotPath),
        .target(name: "MeshWire", dependencies: [nioCore], path: "Sources/Wire/MeshWire", swiftSettings: hotPath),

        // MARK: components
        .target(
            name: "Broker", dependencies: ["ComponentKit", "NATSWire", nioCore, nioPosix], path: "Sources/Components/Broker",
            swiftSettings: hotPath),
        .target(name: "ComponentKit", dependencies: [nioCore, nioPosix], path: "Sources/Components/ComponentKit"),
        .target(
            name: "StreamProcessor", dependencies: ["ComponentKit", "NATSWire", nioCore, nioPosix],
            path: "Sources/Components/StreamProcessor"),
        .target(name: "Router", dependencies: ["ComponentKit", nioCore, nioPosix], path: "Sources/Components/Router"),
        .target(
            name: "Mesh", dependencies: ["ComponentKit", "MeshWire", "NATSWire", nioCore, nioPosix], path: "Sources/Components/Mesh",
            swiftSettings: hotPath),
        .target(
            name: "HTTPServer",
            dependencies: ["ComponentKit", "HTTPWire", nioCore, nioPosix, .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            path: "Sources/Components/HTTPServer",
            swiftSettings: hotPath
        ),

        // MARK: benchmark executables
        // Runs the HTTP driver standalone and starts nginx from a generated config (Scripts/bench-*).
        .executableTarget(name: "surge-http-bench", dependencies: ["SurgeLoad", "HTTPServer", nioCore, nioPosix], path: "Sources/SurgeHTTPBench"),

        // MARK: tests
        // Shared by the test targets: the surge binary, raw TCP clients, requireOrSkip (SURGE_REQUIRE_ALL=1).
        .target(name: "SurgeTestKit", path: "Tests/SurgeTestKit"),
        .testTarget(name: "SurgeResultsTests", dependencies: ["SurgeResults", histogram]),
        .testTarget(name: "SurgeScenarioTests", dependencies: ["SurgeScenario"]),
        .testTarget(name: "SurgeRunnerTests", dependencies: ["SurgeRunner", "SurgeScenario", "SurgeResults", "SurgeLoad", "SurgeTestKit"]),
        .testTarget(name: "EndToEndTests", dependencies: ["SurgeResults", "SurgeRunner", "SurgeTestKit"]),
        .testTarget(name: "SurgeProbesTests", dependencies: ["SurgeProbes"], exclude: ["Fixtures"]),
        .testTarget(name: "SurgeProfileTests", dependencies: ["SurgeProfile", "SurgeProbes", "SurgeTestKit"], exclude: ["Fixtures"]),
        .testTarget(
            name: "NATSWireTests",
            dependencies: ["NATSWire", nioCore, .product(name: "NIOTestUtils", package: "swift-nio")]
        ),
        .testTarget(
            name: "BrokerTests", dependencies: ["Broker", "NATSWire", "SurgeTestKit", nioCore, nioPosix], exclude: ["Fixtures"]),
        .testTarget(name: "ComponentKitTests", dependencies: ["ComponentKit", "SurgeTestKit", nioCore, nioPosix]),
        .testTarget(
            name: "SurgeLoadTests", dependencies: ["SurgeLoad", "Broker", "NATSWire", "SurgeTestKit", nioCore, nioPosix],
            exclude: ["Fixtures"]),
        .testTarget(name: "SurgeStatsTests", dependencies: ["SurgeStats"], exclude: ["median-ci-orders.csv", "GoVectors"]),
        .testTarget(
            name: "SurgeReportTests",
            dependencies: [
                "SurgeReport", "SurgeCompare", "SurgeResults", "SurgeHistory", "SurgeStats", "SurgeTestKit", histogram,
            ],
            exclude: ["Golden", "GoVectors"]
        ),
        .testTarget(name: "SurgeCompareTests", dependencies: ["SurgeCompare", "SurgeResults", "SurgeStats"]),
        .testTarget(name: "CompareCLITests", dependencies: ["SurgeResults"], exclude: ["Golden"]),
        .testTarget(
            name: "HTTPWireTests",
            dependencies: ["HTTPWire", nioCore, .product(name: "NIOTestUtils", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .testTarget(name: "HTTPServerTests", dependencies: ["ComponentKit", "HTTPServer", "HTTPWire", "SurgeTestKit", nioCore, nioPosix]),
        .testTarget(name: "SurgeLoadHTTPTests", dependencies: ["SurgeLoad", "HTTPServer", "HTTPWire", nioCore, nioPosix]),
        .testTarget(
            name: "StreamProcessorTests",
            dependencies: ["StreamProcessor", "Broker", "ComponentKit", "NATSWire", "SurgeLoad", "SurgeTestKit", nioCore, nioPosix]),
        .testTarget(name: "RouterTests", dependencies: ["Router", "ComponentKit", "SurgeLoad", "SurgeTestKit", nioCore, nioPosix]),
        .testTarget(name: "MeshWireTests", dependencies: ["MeshWire", nioCore]),
        .testTarget(name: "MeshTests", dependencies: ["Mesh", "MeshWire", "NATSWire", "SurgeTestKit", nioCore, nioPosix]),
        // MARK: reports and history (report, history)
        .testTarget(name: "HistoryTests", dependencies: ["SurgeHistory", "SurgeResults", "SurgeTestKit"]),
        .testTarget(name: "ReportHTMLTests", dependencies: ["SurgeReport", "SurgeCompare", "SurgeResults", "SurgeStats", histogram]),
    ]
)
