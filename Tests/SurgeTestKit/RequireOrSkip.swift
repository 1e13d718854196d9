import Foundation
import XCTest

/// Whether every test must run (`SURGE_REQUIRE_ALL=1`, set by CI): then a skip is a failure.
public var surgeRequiresAll: Bool { ProcessInfo.processInfo.environment["SURGE_REQUIRE_ALL"] == "1" }

/// Ends a test that cannot run here (no root, no kernel feature, a tool missing) with `reason`:
/// a skip normally, a failure when `SURGE_REQUIRE_ALL=1`, so CI never passes on tests it did not run.
public func requireOrSkip(_ reason: String, file: StaticString = #filePath, line: UInt = #line) throws -> Never {
    if surgeRequiresAll {
        XCTFail("SURGE_REQUIRE_ALL=1 and this test cannot run: \(reason)", file: file, line: line)
        throw RequiredTestCannotRun(reason: reason)
    }
    throw XCTSkip(reason, file: file, line: line)
}

/// Thrown by `requireOrSkip` under `SURGE_REQUIRE_ALL=1` after recording the failure.
public struct RequiredTestCannotRun: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "required test cannot run: \(reason)" }
}
