import XCTest

@testable import ComponentKit

/// Options declared once: parsing, defaults, ranges and the messages users see.
final class ComponentOptionSetTests: XCTestCase {
    enum Mode: String, CaseIterable { case fast, slow }

    let set = ComponentOptionSet(
        component: "demo",
        [
            .flag("cache", default: true, help: "cache things"),
            .integer("threads", default: 4, in: 1...64, help: "threads", shown: "number of cores"),
            .size("max-body", default: 8 << 20, in: 0...(1 << 30), help: "largest body", shown: "8MiB"),
            .duration("timeout", default: 10, in: 0.001...3600, help: "how long"),
            .choice("mode", default: "fast", among: Mode.allCases.map(\.rawValue), help: "mode"),
            .text(
                "peers", default: "", accepted: "a comma-separated list of words", help: "peers",
                isValid: { !$0.contains(" ") }),
            .handicap(per: "thing done"),
        ])

    func testDefaultsApplyWhenNothingIsGiven() throws {
        let o = try set.parse([:])
        XCTAssertTrue(o.flag("cache"))
        XCTAssertEqual(o.integer("threads"), 4)
        XCTAssertEqual(o.integer("max-body"), 8 << 20)
        XCTAssertEqual(o.seconds("timeout"), 10)
        XCTAssertEqual(o.choice("mode", as: Mode.self), .fast)
        XCTAssertEqual(o.text("peers"), "")
        XCTAssertEqual(o.handicap, .off)
        XCTAssertEqual(o.given, [])
    }

    func testValuesParseInEveryTextForm() throws {
        let o = try set.parse([
            "cache": "off", "threads": "1_6", "max-body": "16KiB", "timeout": "250ms",
            "mode": "SLOW", "peers": "a,b", "handicap-ns": "5000",
        ])
        XCTAssertFalse(o.flag("cache"))
        XCTAssertEqual(o.integer("threads"), 16)
        XCTAssertEqual(o.integer("max-body"), 16 << 10)
        XCTAssertEqual(o.seconds("timeout"), 0.25, accuracy: 1e-12)
        XCTAssertEqual(o.choice("mode", as: Mode.self), .slow)
        XCTAssertEqual(o.text("peers"), "a,b")
        XCTAssertEqual(o.handicap.nanoseconds, 5000)
        XCTAssertEqual(try set.parse(["timeout": "2m"]).seconds("timeout"), 120)
        XCTAssertEqual(try set.parse(["timeout": "3"]).seconds("timeout"), 3)
    }

    func testErrorsNameComponentKeyValueAndWhatIsAccepted() {
        let cases: [([String: String], String)] = [
            (["cache": "maybe"], "demo option cache=maybe: expected on or off"),
            (["threads": "0"], "demo option threads=0: expected an integer in 1...64"),
            (["threads": "many"], "demo option threads=many: expected an integer in 1...64"),
            (
                ["max-body": "2GiB"],
                "demo option max-body=2GiB: expected a size in bytes in 0...1073741824, like 8192, 16KiB or 8MiB"
            ),
            (["timeout": "-1s"], "demo option timeout=-1s: expected a duration in 1ms...1h, like 500ms, 10s or 2m"),
            (["timeout": "2h"], "demo option timeout=2h: expected a duration in 1ms...1h, like 500ms, 10s or 2m"),
            (["mode": "medium"], "demo option mode=medium: expected fast or slow"),
            (["peers": "a b"], "demo option peers=a b: expected a comma-separated list of words"),
            (
                ["colour": "red"],
                "demo option colour=red: expected one of the options "
                    + "cache, threads, max-body, timeout, mode, peers, handicap-ns"
            ),
        ]
        for (raw, message) in cases {
            XCTAssertThrowsError(try set.parse(raw)) { XCTAssertEqual("\($0)", message) }
        }
    }

    func testProblemsListsEveryBadKeyInKeyOrder() {
        let problems = set.problems(in: ["threads": "0", "cache": "on", "mode": "x", "zzz": "1"])
        XCTAssertEqual(problems.map(\.key), ["mode", "threads", "zzz"])
        XCTAssertEqual(set.problems(in: ["cache": "on"]), [])
    }

    func testListColumns() {
        XCTAssertEqual(
            set.options.map(\.typeText),
            ["on|off", "integer 1..64", "size", "duration", "fast|slow", "text", "integer 0..1000000000"])
        XCTAssertEqual(set.options.map(\.defaultText), ["on", "number of cores", "8MiB", "10s", "fast", "", "0"])
    }

    func testDurationsShowInTheirShortestExactForm() {
        XCTAssertEqual(
            [0, 0.25, 1, 10, 60, 120, 90, 0.000_5, 0.000_000_2].map(OptionValueParser.show(seconds:)),
            ["0", "250ms", "1s", "10s", "1m", "2m", "90s", "500us", "200ns"])
    }
}
