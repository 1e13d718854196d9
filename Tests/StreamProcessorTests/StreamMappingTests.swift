import StreamProcessor
import XCTest

/// The mapping language on its own: templates, expressions, filters and the errors a bad message gets.
final class StreamMappingTests: XCTestCase {
    private let order = #"{"id":"a1","qty":3,"price":2.5,"customer":{"tier":"gold","name":"Ada"}}"#

    /// Every combination of the switches that change how a mapping is evaluated.
    private var allSettings: [StreamMapping.Settings] {
        var out: [StreamMapping.Settings] = []
        for t in [true, false] {
            for e in [true, false] {
                for c in [true, false] {
                    var s = StreamMapping.Settings()
                    s.precompiledTemplates = t
                    s.compiledExpressions = e
                    s.staticCache = c
                    out.append(s)
                }
            }
        }
        return out
    }

    private func apply(_ mapping: String, _ subject: String, _ payload: String, _ s: StreamMapping.Settings = .init())
        throws -> (StreamMapping.Outcome, StreamValue?)
    {
        let m = try StreamMapping(mapping, settings: s)
        var out: [UInt8] = []
        let outcome = m.apply(subject: subject, payload: Array(payload.utf8), into: &out)
        return (outcome, out.isEmpty ? nil : try StreamJSON.parse(out))
    }

    func testTemplateFromSubjectVariablePositionAndPayloadField() throws {
        for s in allSettings {
            let (outcome, value) = try apply(
                "orders.{region}.* -> out.{region}.{payload.customer.tier}.{3} | set total = payload.qty * payload.price"
                    + " | set label = \"order-\" + payload.id + \"-\" + region | set source = \"surge\"",
                "orders.eu.web", order, s)
            XCTAssertEqual(outcome, .publish(subject: "out.eu.gold.web"), "\(s)")
            XCTAssertEqual(value?["total"], .number(7.5))
            XCTAssertEqual(value?["label"], .string("order-a1-eu"))
            XCTAssertEqual(value?["source"], .string("surge"))
            XCTAssertEqual(value?["customer"]?["name"], .string("Ada"), "input fields are kept")
        }
    }

    func testExpressions() throws {
        let cases: [(String, StreamValue)] = [
            ("1 + 2 * 3", .number(7)), ("(1 + 2) * 3", .number(9)), ("7 % 4 - -1", .number(4)),
            ("payload.qty >= 3 && payload.price < 3", .bool(true)), ("!(payload.qty == 3) || false", .bool(false)),
            ("'n=' + payload.qty", .string("n=3")), ("payload.customer.tier != \"gold\"", .bool(false)),
            ("\"a\" < \"b\"", .bool(true)), ("subject", .string("orders.eu.web")), ("payload.qty / 2", .number(1.5)),
        ]
        for s in allSettings {
            for (text, want) in cases {
                let (_, value) = try apply("orders.{region}.* -> out | set x = \(text)", "orders.eu.web", order, s)
                XCTAssertEqual(value?["x"], want, "\(text) \(s)")
            }
        }
    }

    func testFilterDropsAndKeeps() throws {
        for s in allSettings {
            let m = "in.* -> out | where payload.qty > 2"
            XCTAssertEqual(try apply(m, "in.x", order, s).0, .publish(subject: "out"))
            XCTAssertEqual(try apply(m, "in.x", #"{"qty":2}"#, s).0, .dropped)
        }
    }

    func testBadMessagesAreErrorsNotCrashes() throws {
        for s in allSettings {
            XCTAssertEqual(
                try apply("in.* -> out.{payload.customer.tier}", "in.x", #"{"qty":1}"#, s).0,
                .failed(StreamEvalError("missing field payload.customer.tier")))
            XCTAssertEqual(
                try apply("in.* -> out | set t = payload.qty * payload.customer", "in.x", order, s).0,
                .failed(StreamEvalError("cannot apply * to number and object")))
            XCTAssertEqual(
                try apply("in.* -> out | where payload.qty", "in.x", order, s).0,
                .failed(StreamEvalError("where needs a boolean, found number")))
            XCTAssertEqual(
                try apply("in.* -> out | set t = payload.qty / 0", "in.x", order, s).0,
                .failed(StreamEvalError("division by zero")))
            XCTAssertEqual(
                try apply("in.* -> out.{payload.customer.name}", "in.x", #"{"customer":{"name":"A B"}}"#, s).0,
                .failed(StreamEvalError("template {payload.customer.name} gave 'A B', not a subject token")))
            guard case .failed(let e) = try apply("in.* -> out", "in.x", #"{"qty": }"#, s).0 else {
                return XCTFail("bad JSON must fail")
            }
            XCTAssertEqual(e.message, "payload is not JSON at byte 8: expected a value")
            XCTAssertEqual(
                try apply("in.* -> out", "in.x", "[1]", s).0,
                .failed(StreamEvalError("payload is a JSON array, not an object")))
        }
    }

    func testBadMappingsAreRejectedAtStart() {
        XCTAssertThrowsError(try StreamMapping("in.* out")) { XCTAssertTrue("\($0)".contains("expected INPUT -> OUTPUT")) }
        XCTAssertThrowsError(try StreamMapping("in.* -> out | set x = 1 +")) {
            XCTAssertEqual("\($0)", "mapping 'in.* -> out | set x = 1 +': expression '1 +' column 4: expected a value, found the end")
        }
        XCTAssertThrowsError(try StreamMapping("in.* -> out.{payload.a")) { XCTAssertTrue("\($0)".contains("'{' without '}'")) }
        XCTAssertThrowsError(try StreamMapping("in.* -> out | keep x")) { XCTAssertTrue("\($0)".contains("neither")) }
        XCTAssertThrowsError(try StreamMapping("in.>.x -> out")) { XCTAssertTrue("\($0)".contains("not a subject pattern")) }
    }

    func testParseAllAndSubscribeSubjects() throws {
        let all = try StreamMapping.parseAll("# orders\norders.{region}.> -> a.{region}; b.* -> c | set k = 'x;y'")
        XCTAssertEqual(all.map(\.subscribeSubject), ["orders.*.>", "b.*"])
        XCTAssertTrue(all[1].output.isStatic)
    }
}
