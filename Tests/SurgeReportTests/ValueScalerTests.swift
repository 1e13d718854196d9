import XCTest
@testable import SurgeReport

/// Scaling examples straight from BENCHSTAT.md §7.
final class ValueScalerTests: XCTestCase {
    func testRowScaleFromSmallestNonZeroValue() {
        XCTAssertEqual(ValueScaler.common([1.718e-6, 1.423e-6], unit: "sec/op").format(1.718e-6), "1.718µ")
        // Row minimum 78.8n is below 99.995n: two decimals for every value in the row.
        let row = ValueScaler.common([78.8e-9, 115e-9], unit: "sec/op")
        XCTAssertEqual(row.format(115e-9), "115.00n")
        XCTAssertEqual(row.format(78.8e-9), "78.80n")
        let zeros = ValueScaler.common([0, 16], unit: "allocs/op")
        XCTAssertEqual([zeros.format(0), zeros.format(16)], ["0.00", "16.00"])
        XCTAssertEqual(ValueScaler.common([0, 0], unit: "B/op").format(0), "0.000")
    }

    func testBinaryUnitsUseIECPrefixes() {
        XCTAssertEqual(ValueScaler.common([1234567890], unit: "a-bytes").format(1234567890), "1.150Gi")
        XCTAssertEqual(ValueScaler.common([99999930], unit: "B/op").format(99999930), "95.37Mi")
        // [1000, 1024) KiB stays in the smaller prefix: 1020·1024 B → "1020Ki".
        XCTAssertEqual(ValueScaler.common([1020 * 1024], unit: "B/op").format(1020 * 1024), "1020.0Ki")
    }

    func testBelowTheSmallestPrefixAddsDecimals() {
        XCTAssertEqual(ValueScaler.common([0.5e-9], unit: "sec/op").format(0.5e-9), "0.5000n")
        XCTAssertEqual(ValueScaler.common([0.25], unit: "B/op").format(0.25), "0.2500")
    }
}
