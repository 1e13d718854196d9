import MeshWire

/// XOR metric of Kademlia over 64-bit node ids.
public enum KademliaDistance {
    @inline(__always)
    public static func distance(_ a: UInt64, _ b: UInt64) -> UInt64 { a ^ b }

    /// Leading bits `a` and `b` share (64 when equal).
    @inline(__always)
    public static func commonPrefixLength(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).leadingZeroBitCount }

    /// The DHT key of a topic: FNV-1a of its bytes.
    public static func keyID<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}

/// Kademlia's routing table over 64-bit ids, with bucket splitting: bucket `i` holds the contacts
/// sharing exactly `i` leading bits with this node, except the last, which holds every contact
/// sharing at least `buckets.count - 1`. When the last bucket (the one covering this node's own id)
/// is full, it splits in two; a full bucket elsewhere keeps its long-lived contacts and drops the
/// newcomer, as Kademlia prefers nodes that have stayed up.
public struct KademliaRoutingTable: Sendable {
    public enum InsertOutcome: Equatable, Sendable {
        case added, updated, full, ignoredSelf
    }

    public let selfID: UInt64
    public let k: Int
    /// Least recently seen first.
    public private(set) var buckets: [[MeshContact]] = [[]]

    public init(selfID: UInt64, k: Int = 8) {
        self.selfID = selfID
        self.k = max(1, k)
    }

    public var count: Int { buckets.reduce(0) { $0 + $1.count } }
    public var contacts: [MeshContact] { buckets.flatMap { $0 } }

    private func bucketIndex(_ id: UInt64) -> Int {
        min(KademliaDistance.commonPrefixLength(selfID, id), buckets.count - 1)
    }

    @discardableResult
    public mutating func insert(_ contact: MeshContact) -> InsertOutcome {
        if contact.id == selfID { return .ignoredSelf }
        while true {
            let i = bucketIndex(contact.id)
            if let at = buckets[i].firstIndex(where: { $0.id == contact.id }) {
                buckets[i].remove(at: at)
                buckets[i].append(contact)
                return .updated
            }
            if buckets[i].count < k {
                buckets[i].append(contact)
                return .added
            }
            guard i == buckets.count - 1, buckets.count < 64 else { return .full }
            split()
        }
    }

    private mutating func split() {
        let last = buckets.count - 1
        let moving = buckets[last].filter { KademliaDistance.commonPrefixLength(selfID, $0.id) > last }
        buckets[last].removeAll { KademliaDistance.commonPrefixLength(selfID, $0.id) > last }
        buckets.append(moving)
    }

    public mutating func remove(id: UInt64) {
        let i = bucketIndex(id)
        buckets[i].removeAll { $0.id == id }
    }

    public func contains(id: UInt64) -> Bool {
        buckets[bucketIndex(id)].contains { $0.id == id }
    }

    /// Up to `count` contacts, nearest to `target` by XOR distance first.
    public func closest(to target: UInt64, count: Int) -> [MeshContact] {
        let all = contacts.sorted { ($0.id ^ target) < ($1.id ^ target) }
        return Array(all.prefix(count))
    }
}
