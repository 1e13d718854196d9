import Histogram
import XCTest
@testable import SurgeResults

final class HistogramCodecTests: XCTestCase {
    func testRoundTripKeepsEveryBucket() throws {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
        let values: [UInt64] = [1, 2, 3, 1000, 1001, 2047, 2048, 123_456, 99_999_999, 5_000_000_000]
        for v in values { _ = h.record(v) }
        _ = h.record(123_456, count: 41)
        let decoded = try XCTUnwrap(HistogramCodec.decode(HistogramCodec.encode(h)))
        XCTAssertEqual(decoded.digits, 3)
        XCTAssertEqual(decoded.highest, 3_600_000_000_000)
        XCTAssertEqual(decoded.counts.reduce(0) { $0 + $1.count }, h.totalCount)
        // Every decoded bucket starts where the histogram says that value's bucket starts.
        let expected = h.recordedValues().map { (h.lowestEquivalentForValue($0.value), UInt64($0.count)) }
        XCTAssertEqual(decoded.counts.map(\.value), expected.map(\.0))
        XCTAssertEqual(decoded.counts.map(\.count), expected.map(\.1))
    }

    func testHeaderIsHdrHistogramV2() throws {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 1_000_000, numberOfSignificantValueDigits: .two)
        _ = h.record(5)
        let bytes = [UInt8](try XCTUnwrap(Data(base64Encoded: HistogramCodec.encode(h))))
        XCTAssertEqual(Array(bytes[0..<4]), [0x1c, 0x84, 0x93, 0x03])
        XCTAssertEqual(Array(bytes[12..<16]), [0, 0, 0, 2])
        XCTAssertNil(HistogramCodec.decode("AAAA"))
    }
}
