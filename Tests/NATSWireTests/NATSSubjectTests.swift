import NATSWire
import XCTest

final class NATSSubjectTests: XCTestCase {
    func testSubscribeSubjects() {
        for ok in ["foo", "foo.bar", "foo.*", "*", ">", "foo.>", "*.bar.>", "a.b*", "a.>b", "_INBOX.x"] {
            XCTAssertTrue(NATSSubject.isValidSubscribe(ok), ok)
        }
        for bad in ["", ".", "foo.", ".foo", "foo..bar", "foo bar", "foo\tbar", ">.foo", "foo.>.bar", "a.>.>"] {
            XCTAssertFalse(NATSSubject.isValidSubscribe(bad), bad)
        }
    }

    func testPublishSubjectsHaveNoWildcards() {
        for ok in ["foo", "foo.bar", "a.b*", "a.>b"] {
            XCTAssertTrue(NATSSubject.isValidPublish(ok), ok)
        }
        for bad in ["foo.*", "*", ">", "foo.>", "foo..bar", ""] {
            XCTAssertFalse(NATSSubject.isValidPublish(bad), bad)
        }
        XCTAssertTrue(NATSSubject.hasWildcard("a.*.c".utf8))
        XCTAssertFalse(NATSSubject.hasWildcard("a.b*.c".utf8))
    }

    func testMatching() {
        XCTAssertTrue(NATSSubject.matches(pattern: "foo.*", subject: "foo.bar"))
        XCTAssertFalse(NATSSubject.matches(pattern: "foo.*", subject: "foo.bar.baz"))
        XCTAssertTrue(NATSSubject.matches(pattern: "foo.>", subject: "foo.bar.baz"))
        XCTAssertFalse(NATSSubject.matches(pattern: "foo.>", subject: "foo"))
        XCTAssertTrue(NATSSubject.matches(pattern: "*.bar", subject: "foo.bar"))
        XCTAssertFalse(NATSSubject.matches(pattern: "foo.bar", subject: "foo.baz"))
    }
}
