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

    /// Stores or refreshes a value. `isNew` tells whether the contact was not live under the key before;
    /// `count` how many values of another id at the same address (a restarted node) it replaced.
    @discardableResult
    mutating func store(key: [UInt8], contact: MeshContact, ttlNanos: UInt64, now: UInt64) -> (isNew: Bool, count: Int) {
        var entries = records[key] ?? [:]
        let isNew = entries[contact.id].map { $0.expires <= now } ?? true
        var replaced = 0
        for (id, e) in entries where id != contact.id && e.contact.host == contact.host && e.contact.port == contact.port {
            entries[id] = nil
            replaced += 1
        }
        entries[contact.id] = Entry(contact: contact, expires: now &+ ttlNanos)
        records[key] = entries
        return (isNew, replaced)
    }

    /// Removes a value; returns true when there was one.
    @discardableResult
    mutating func remove(key: [UInt8], id: UInt64) -> Bool {
        guard records[key]?.removeValue(forKey: id) != nil else { return false }
        if records[key]?.isEmpty == true { records[key] = nil }
        return true
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
