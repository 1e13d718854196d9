import MeshWire

/// The DHT values a node holds: topic → the nodes that announced subscribers for it, each until
/// its STORE's time to live runs out (a refresh extends it; UNSTORE removes it).
struct MeshRecordStore {
    private struct Entry {
        var contact: MeshContact
        var expires: UInt64
    }

    private var records: [[UInt8]: [UInt64: Entry]] = [:]

    var count: Int { records.values.reduce(0) { $0 + $1.count } }

    mutating func store(key: [UInt8], contact: MeshContact, ttlNanos: UInt64, now: UInt64) {
        records[key, default: [:]][contact.id] = Entry(contact: contact, expires: now &+ ttlNanos)
    }

    mutating func remove(key: [UInt8], id: UInt64) {
        records[key]?[id] = nil
        if records[key]?.isEmpty == true { records[key] = nil }
    }

    /// The live values under `key`; `found` is false when the node holds no live record for it.
    func values(key: [UInt8], now: UInt64) -> (found: Bool, values: [MeshContact]) {
        guard let entries = records[key] else { return (false, []) }
        let live = entries.values.filter { $0.expires > now }.map(\.contact)
        return (!live.isEmpty, live.sorted { $0.id < $1.id })
    }

    /// Drops expired values; returns how many.
    @discardableResult
    mutating func expire(now: UInt64) -> Int {
        var dropped = 0
        for key in Array(records.keys) {
            let before = records[key]?.count ?? 0
            records[key] = records[key]?.filter { $0.value.expires > now }
            dropped += before - (records[key]?.count ?? 0)
            if records[key]?.isEmpty == true { records[key] = nil }
        }
        return dropped
    }
}
