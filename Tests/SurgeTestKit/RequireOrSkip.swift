import Foundation
import XCTest

/// What a test that cannot run here does: skip, or fail when every test must run
/// (`SURGE_REQUIRE_ALL=1`, set by CI).
public enum SkipPolicy: Equatable, Sendable {
    case skip
    case fail

    public static func from(environment: [String: String]) -> SkipPolicy {
        environment["SURGE_REQUIRE_ALL"] == "1" ? .fail : .skip
    }

    public static var current: SkipPolicy { from(environment: ProcessInfo.processInfo.environment) }
}

/// Whether every test must run (`SURGE_REQUIRE_ALL=1`): then a skip is a failure.
public var surgeRequiresAll: Bool { SkipPolicy.current == .fail }

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
