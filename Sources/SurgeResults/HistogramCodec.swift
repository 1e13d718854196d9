import Foundation
import Histogram

/// HdrHistogram's V2 encoding (uncompressed, cookie 0x1c849303), base64: the form every HdrHistogram
/// implementation can decode (`decodeFromByteBuffer`), so a result's latency distribution can be
/// re-analysed with HdrHistogram tools.
///
/// Layout (big endian): cookie i32, payload length i32, normalizing index offset i32 (0),
/// significant digits i32, lowest discernible value i64, highest trackable value i64,
/// integer-to-double conversion ratio f64 (1.0), then the counts array as ZigZag LEB128 varints,
/// runs of empty buckets written as one negative count.
public enum HistogramCodec {
    static let cookie: UInt32 = 0x1c84_9303

    public static func encode(_ h: Histogram<UInt64>) -> String {
        let layout = Layout(lowest: h.lowestDiscernibleValue, digits: Int(h.numberOfSignificantValueDigits.rawValue))
        var counts: [Int: UInt64] = [:]
        var maxIndex = -1
        for v in h.recordedValues() {
            let idx = layout.countsIndex(for: v.value)
            counts[idx, default: 0] += v.count
            maxIndex = max(maxIndex, idx)
        }
        var payload = [UInt8]()
        var i = 0
        while i <= maxIndex {
            let c = counts[i] ?? 0
            if c == 0 {
                var zeros = 0
                while i <= maxIndex, (counts[i] ?? 0) == 0 { zeros += 1; i += 1 }
                appendZigZag(-Int64(zeros), to: &payload)
            } else {
                appendZigZag(Int64(c), to: &payload)
                i += 1
            }
        }
        var out = [UInt8]()
        appendBE(UInt64(cookie), bytes: 4, to: &out)
        appendBE(UInt64(payload.count), bytes: 4, to: &out)
        appendBE(0, bytes: 4, to: &out)
        appendBE(UInt64(layout.digits), bytes: 4, to: &out)
        appendBE(h.lowestDiscernibleValue, bytes: 8, to: &out)
        appendBE(h.highestTrackableValue, bytes: 8, to: &out)
        appendBE(Double(1.0).bitPattern, bytes: 8, to: &out)
        out += payload
        return Data(out).base64EncodedString()
    }

    /// Decodes what `encode` wrote back into (value, count) pairs, values at each bucket's lowest equivalent.
    public static func decode(_ base64: String) -> (digits: Int, lowest: UInt64, highest: UInt64, counts: [(value: UInt64, count: UInt64)])? {
        guard let data = Data(base64Encoded: base64), data.count >= 40 else { return nil }
        let bytes = [UInt8](data)
        func be(_ at: Int, _ n: Int) -> UInt64 { (0..<n).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[at + $1]) } }
        guard be(0, 4) == UInt64(cookie) else { return nil }
        let length = Int(be(4, 4))
        let digits = Int(be(12, 4))
        let lowest = be(16, 8)
        let highest = be(24, 8)
        guard bytes.count >= 40 + length, (1...5).contains(digits), lowest >= 1 else { return nil }
        let layout = Layout(lowest: lowest, digits: digits)
        var result: [(UInt64, UInt64)] = []
        var pos = 40
        var index = 0
        while pos < 40 + length {
            var raw: UInt64 = 0
            var shift: UInt64 = 0
            while pos < 40 + length {
                let b = bytes[pos]
                pos += 1
                if shift == 56 {
                    raw |= UInt64(b) << 56
                    break
                }
                raw |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            let value = Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
            if value < 0 {
                index += Int(-value)
            } else {
                if value > 0 { result.append((layout.value(at: index), UInt64(value))) }
                index += 1
            }
        }
        return (digits, lowest, highest, result)
    }

    /// The bucket layout HdrHistogram uses for a lowest discernible value and precision.
    struct Layout {
        let digits: Int
        let unitMagnitude: Int
        let subBucketHalfCountMagnitude: Int
        let subBucketHalfCount: Int
        let subBucketMask: UInt64

        init(lowest: UInt64, digits: Int) {
            self.digits = digits
            let largestSingleUnitResolution = 2 * UInt64(pow(10.0, Double(digits)))
            let subBucketCountMagnitude = Int(ceil(log2(Double(largestSingleUnitResolution))))
            subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1
            unitMagnitude = Int(floor(log2(Double(lowest))))
            let subBucketCount = 1 << (subBucketHalfCountMagnitude + 1)
            subBucketHalfCount = subBucketCount / 2
            subBucketMask = UInt64(subBucketCount - 1) << UInt64(unitMagnitude)
        }

        func countsIndex(for value: UInt64) -> Int {
            let pow2Ceiling = 64 - (value | subBucketMask).leadingZeroBitCount
            let bucketIndex = pow2Ceiling - unitMagnitude - (subBucketHalfCountMagnitude + 1)
            let subBucketIndex = Int(value >> UInt64(bucketIndex + unitMagnitude))
            let bucketBaseIndex = (bucketIndex + 1) << subBucketHalfCountMagnitude
            return bucketBaseIndex + subBucketIndex - subBucketHalfCount
        }

        func value(at index: Int) -> UInt64 {
            var bucketIndex = (index >> subBucketHalfCountMagnitude) - 1
            var subBucketIndex = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
            if bucketIndex < 0 {
                subBucketIndex -= subBucketHalfCount
                bucketIndex = 0
            }
            return UInt64(subBucketIndex) << UInt64(bucketIndex + unitMagnitude)
        }
    }

    private static func appendZigZag(_ v: Int64, to out: inout [UInt8]) {
        var u = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        for _ in 0..<8 {
            if u < 0x80 { out.append(UInt8(u)); return }
            out.append(UInt8(u & 0x7f) | 0x80)
            u >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: u))
    }

    private static func appendBE(_ v: UInt64, bytes: Int, to out: inout [UInt8]) {
        for i in (0..<bytes).reversed() { out.append(UInt8(truncatingIfNeeded: v >> (UInt64(i) * 8))) }
    }
}
