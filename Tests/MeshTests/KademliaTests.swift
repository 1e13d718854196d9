@testable import Mesh
import MeshWire
import XCTest

final class KademliaTests: XCTestCase {
    func contact(_ id: UInt64) -> MeshContact { MeshContact(id: id, host: "127.0.0.1", port: Int(id % 60000) + 1) }

    func testXORDistanceAndCommonPrefix() {
        XCTAssertEqual(KademliaDistance.distance(0b1010, 0b0110), 0b1100)
        XCTAssertEqual(KademliaDistance.distance(7, 7), 0)
        XCTAssertEqual(KademliaDistance.commonPrefixLength(0, 1 << 63), 0)
        XCTAssertEqual(KademliaDistance.commonPrefixLength(0, 1), 63)
        XCTAssertEqual(KademliaDistance.commonPrefixLength(5, 5), 64)
        // Symmetric, and the triangle inequality holds for XOR.
        let (a, b, c): (UInt64, UInt64, UInt64) = (0xF0F0, 0x0FF0, 0x1234)
        XCTAssertEqual(KademliaDistance.distance(a, b), KademliaDistance.distance(b, a))
        XCTAssertLessThanOrEqual(KademliaDistance.distance(a, c), KademliaDistance.distance(a, b) + KademliaDistance.distance(b, c))
    }

    func testBucketSplitsOnlyAroundOwnID() {
        var t = KademliaRoutingTable(selfID: 0, k: 2)
        // Contacts in the far half (top bit set) all land in bucket 0, which never splits once it is not the last.
        XCTAssertEqual(t.insert(contact(1 << 63)), .added)
        XCTAssertEqual(t.insert(contact(1 << 63 | 1)), .added)
        XCTAssertEqual(t.buckets.count, 1)
        // A third far contact: the only bucket is full and covers our id, so it splits; the far ones stay in bucket 0.
        XCTAssertEqual(t.insert(contact(1 << 63 | 2)), .full)
        XCTAssertEqual(t.buckets.count, 2, "the own-id bucket split once; the newcomer's far bucket is then not the last, so it is dropped")
        XCTAssertEqual(t.buckets[0].count, 2)
        // Near contacts fill their own buckets.
        XCTAssertEqual(t.insert(contact(1)), .added)
        XCTAssertEqual(t.insert(contact(2)), .added)
        XCTAssertEqual(t.insert(contact(3)), .added)
        XCTAssertEqual(t.count, 5)
        XCTAssertEqual(t.insert(contact(1)), .updated, "a known contact moves to the tail")
        XCTAssertEqual(t.insert(contact(0)), .ignoredSelf)
        XCTAssertEqual(t.closest(to: 0, count: 3).map(\.id), [1, 2, 3])
        t.remove(id: 2)
        XCTAssertFalse(t.contains(id: 2))
        XCTAssertEqual(t.closest(to: 0, count: 2).map(\.id), [1, 3])
    }

    func testSplitKeepsEveryContactInTheRightBucket() {
        var t = KademliaRoutingTable(selfID: 0x8000_0000_0000_0000, k: 4)
        var rng = SystemRandomNumberGenerator()
        var inserted: [UInt64] = []
        for _ in 0..<500 {
            let id = rng.next() as UInt64
            if t.insert(contact(id)) == .added { inserted.append(id) }
        }
        XCTAssertGreaterThan(t.buckets.count, 1)
        for (i, bucket) in t.buckets.enumerated() {
            XCTAssertLessThanOrEqual(bucket.count, 4)
            for c in bucket {
                let cpl = KademliaDistance.commonPrefixLength(t.selfID, c.id)
                if i < t.buckets.count - 1 { XCTAssertEqual(cpl, i) } else { XCTAssertGreaterThanOrEqual(cpl, i) }
            }
        }
        XCTAssertEqual(Set(t.contacts.map(\.id)), Set(inserted))
    }

    /// 50 nodes in process join through node 0 with iterative FIND_NODE; afterwards a lookup from
    /// any node finds the true k closest nodes to any target.
    func testFindNodeConvergesInASimulated50NodeNetwork() {
        var rng = SplitMix64(seed: 0x5eed_5eed)
        let ids = (0..<50).map { _ in rng.next() as UInt64 }
        var tables = ids.map { KademliaRoutingTable(selfID: $0, k: 8) }
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($0.element, $0.offset) })
        var queries = 0

        func lookup(from node: Int, target: UInt64) -> [UInt64] {
            let l = MeshLookup(target: target, selfID: ids[node], start: tables[node].closest(to: target, count: 8),
                               parallelism: 3, stopWhenFound: false, limit: 8)
            l.run(query: { c, done in
                queries += 1
                let peer = index[c.id]!
                tables[peer].insert(self.contact(ids[node]))
                let answer = tables[peer].closest(to: target, count: 8)
                for a in answer { tables[node].insert(a) }
                done(answer, false)
            }, finished: {})
            return l.shortlist.prefix(8).map(\.id)
        }

        for n in 1..<50 {
            tables[n].insert(contact(ids[0]))
            _ = lookup(from: n, target: ids[n])
        }
        // Kademlia finds the true k closest with high probability, not always: every lookup must
        // find the closest node, and nearly all (≥ 95%) the exact k closest.
        var exact = 0
        for n in 0..<50 {
            for _ in 0..<5 {
                let target = rng.next() as UInt64
                let truth = Array(ids.filter { $0 != ids[n] }.sorted { ($0 ^ target) < ($1 ^ target) }.prefix(8))
                let found = lookup(from: n, target: target)
                XCTAssertEqual(found.first, truth.first, "node \(n) target \(String(target, radix: 16)): closest node missed")
                if found == truth { exact += 1 }
            }
        }
        XCTAssertGreaterThanOrEqual(exact, 238, "\(exact) of 250 lookups found exactly the 8 closest nodes")
        XCTAssertLessThan(queries, 50 * 6 * 40, "lookups stay logarithmic-ish, not a crawl of every node every time")
    }

    func testRecordStoreExpiresAndRefreshes() {
        var s = MeshRecordStore()
        let key = Array("t".utf8)
        s.store(key: key, contact: contact(1), ttlNanos: 100, now: 1000)
        s.store(key: key, contact: contact(2), ttlNanos: 500, now: 1000)
        XCTAssertEqual(s.values(key: key, now: 1050).values.map(\.id), [1, 2])
        XCTAssertEqual(s.values(key: key, now: 1200).values.map(\.id), [2], "node 1's value expired")
        s.store(key: key, contact: contact(2), ttlNanos: 500, now: 1400) // refresh
        XCTAssertEqual(s.expire(now: 1600), 1)
        XCTAssertEqual(s.values(key: key, now: 1600).values.map(\.id), [2], "refreshed before expiry, still there")
        XCTAssertEqual(s.expire(now: 2000), 1)
        XCTAssertFalse(s.values(key: key, now: 2000).found)
        XCTAssertEqual(s.count, 0)
    }

    func testLatencyHistogramPercentiles() {
        var h = LogLinearHistogram()
        for v in 1...1000 { h.record(UInt64(v) * 1000) }
        XCTAssertEqual(h.count, 1000)
        XCTAssertEqual(h.max, 1_000_000)
        let p50 = Double(h.value(atPercentile: 50))
        XCTAssertEqual(p50, 500_000, accuracy: 500_000 * 0.07)
        XCTAssertEqual(Double(h.value(atPercentile: 99)), 990_000, accuracy: 990_000 * 0.07)
    }
}

/// A small seeded generator (SplitMix64), so the simulated network is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
