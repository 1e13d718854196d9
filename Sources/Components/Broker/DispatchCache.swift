import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection's bounded cache of subject → matching subscriptions, with least-recently-used
/// eviction. Entries are valid for one trie `generation`; a lookup under a newer generation empties
/// the cache first. The most recent hit is remembered separately so a stream of messages to one
/// subject costs one byte comparison instead of a hash per message.
///
/// Owned by one connection and used only on its event loop.
struct DispatchCache {
    private var index: [ByteBuffer: Int] = [:]
    private var keys: [ByteBuffer] = []
    private var values: [MatchResult] = []
    private var prev: [Int] = []
    private var next: [Int] = []
    private var head = -1 // most recently used
    private var tail = -1 // least recently used
    private var generation: UInt64 = .max
    private var lastSlot = -1
    let capacity: Int

    private(set) var hits = 0
    private(set) var misses = 0
    private(set) var evictions = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Takes and resets the hit/miss/eviction counts gathered since the last call.
    mutating func drainCounts() -> (hits: Int, misses: Int, evictions: Int) {
        defer { hits = 0; misses = 0; evictions = 0 }
        return (hits, misses, evictions)
    }

    /// `lookup` for a subject given as the bytes at `range` of `buffer`'s readable bytes: a repeat of
    /// the last subject is compared in place, without making a slice.
    mutating func lookup(_ range: Range<Int>, of buffer: ByteBuffer, trie: SubjectTrie) -> MatchResult {
        if trie.generation == generation && lastSlot >= 0 {
            let same = buffer.withUnsafeReadableBytes { raw in
                keys[lastSlot].withUnsafeReadableBytes { key in
                    guard key.count == range.count, let k = key.baseAddress else { return key.count == range.count }
                    return memcmp(k, raw.baseAddress! + range.lowerBound, key.count) == 0
                }
            }
            if same {
                hits += 1
                return values[lastSlot]
            }
        }
        let subject = buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count) ?? ByteBuffer()
        return lookup(subject, trie: trie)
    }

    mutating func lookup(_ subject: ByteBuffer, trie: SubjectTrie) -> MatchResult {
        let g = trie.generation
        if g != generation {
            clear()
            generation = g
        }
        if lastSlot >= 0 && keys[lastSlot] == subject {
            hits += 1
            return values[lastSlot]
        }
        if let slot = index[subject] {
            hits += 1
            touch(slot)
            lastSlot = slot
            return values[slot]
        }
        misses += 1
        let result = subject.withUnsafeReadableBytes { trie.match($0) }
        let key = ByteBuffer(bytes: subject.readableBytesView) // own copy: do not pin the read buffer
        let slot: Int
        if keys.count < capacity {
            slot = keys.count
            keys.append(key)
            values.append(result)
            prev.append(-1)
            next.append(-1)
        } else {
            slot = tail
            evictions += 1
            index[keys[slot]] = nil
            unlink(slot)
            keys[slot] = key
            values[slot] = result
        }
        index[key] = slot
        pushFront(slot)
        lastSlot = slot
        return result
    }

    private mutating func clear() {
        index.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        head = -1
        tail = -1
        lastSlot = -1
    }

    private mutating func touch(_ slot: Int) {
        guard head != slot else { return }
        unlink(slot)
        pushFront(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let p = prev[slot], n = next[slot]
        if p >= 0 { next[p] = n } else { head = n }
        if n >= 0 { prev[n] = p } else { tail = p }
        prev[slot] = -1
        next[slot] = -1
    }

    private mutating func pushFront(_ slot: Int) {
        prev[slot] = -1
        next[slot] = head
        if head >= 0 { prev[head] = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}
