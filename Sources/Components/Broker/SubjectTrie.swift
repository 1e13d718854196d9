import Synchronization

/// The broker's subscription index (nats-server calls it a sublist): a trie over subject tokens with
/// `*` and `>` children, guarded by a mutex. Every insert and remove bumps `generation`, which the
/// per-connection dispatch caches compare to know when to drop their entries.
final class SubjectTrie: Sendable {
    private final class Node {
        var children: [String: Node] = [:]
        var singleWildcard: Node?
        var fullWildcard: Node?
        var plain: [Subscription] = []
        var queues: [String: [Subscription]] = [:]

        var isEmpty: Bool {
            children.isEmpty && singleWildcard == nil && fullWildcard == nil && plain.isEmpty && queues.isEmpty
        }
    }

    private struct State: ~Copyable {
        var root = Node()
        var count = 0
    }

    private let state = Mutex(State())
    private let generationCounter = Atomic<UInt64>(0)

    /// Changes whenever the set of subscriptions changes.
    var generation: UInt64 { generationCounter.load(ordering: .acquiring) }

    var count: Int { state.withLock { $0.count } }

    /// Subscriptions ever inserted and removed (`/subsz` `num_inserts`, `num_removes`).
    let inserts = Atomic<Int>(0)
    let removes = Atomic<Int>(0)

    func insert(_ sub: Subscription) {
        let tokens = sub.subject.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        state.withLock { s in
            var node = s.root
            for t in tokens {
                if t == "*" {
                    if node.singleWildcard == nil { node.singleWildcard = Node() }
                    node = node.singleWildcard!
                } else if t == ">" {
                    if node.fullWildcard == nil { node.fullWildcard = Node() }
                    node = node.fullWildcard!
                } else if let next = node.children[t] {
                    node = next
                } else {
                    let next = Node()
                    node.children[t] = next
                    node = next
                }
            }
            if let q = sub.queue {
                node.queues[q, default: []].append(sub)
            } else {
                node.plain.append(sub)
            }
            s.count += 1
            inserts.add(1, ordering: .relaxed)
            generationCounter.add(1, ordering: .releasing)
        }
    }

    /// Removes `sub`; returns false when it was not in the trie.
    @discardableResult
    func remove(_ sub: Subscription) -> Bool {
        let tokens = sub.subject.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        return state.withLock { s in
            var path: [(Node, String)] = []
            var node = s.root
            for t in tokens {
                let next: Node?
                switch t {
                case "*": next = node.singleWildcard
                case ">": next = node.fullWildcard
                default: next = node.children[t]
                }
                guard let next else { return false }
                path.append((node, t))
                node = next
            }
            var found = false
            if let q = sub.queue {
                if var members = node.queues[q], let i = members.firstIndex(where: { $0 === sub }) {
                    members.remove(at: i)
                    node.queues[q] = members.isEmpty ? nil : members
                    found = true
                }
            } else if let i = node.plain.firstIndex(where: { $0 === sub }) {
                node.plain.remove(at: i)
                found = true
            }
            guard found else { return false }
            // Prune empty nodes bottom-up.
            var child = node
            for (parent, t) in path.reversed() {
                guard child.isEmpty else { break }
                switch t {
                case "*": parent.singleWildcard = nil
                case ">": parent.fullWildcard = nil
                default: parent.children[t] = nil
                }
                child = parent
            }
            s.count -= 1
            removes.add(1, ordering: .relaxed)
            generationCounter.add(1, ordering: .releasing)
            return true
        }
    }

    /// All subscriptions matching the literal subject in `subject` (raw bytes, no CR/LF).
    func match(_ subject: UnsafeRawBufferPointer) -> MatchResult {
        // Token ranges; subjects rarely have more than 16 tokens, longer ones fall back to an array.
        var tokens: [String] = []
        tokens.reserveCapacity(8)
        var start = 0
        for i in 0..<subject.count where subject[i] == UInt8(ascii: ".") {
            tokens.append(String(decoding: UnsafeRawBufferPointer(rebasing: subject[start..<i]), as: UTF8.self))
            start = i + 1
        }
        tokens.append(String(decoding: UnsafeRawBufferPointer(rebasing: subject[start...]), as: UTF8.self))
        return state.withLock { s in
            var plain: [Subscription] = []
            var queues: [String: [Subscription]] = [:]
            Self.collect(s.root, tokens, 0, &plain, &queues)
            if plain.isEmpty && queues.isEmpty { return MatchResult.empty }
            return MatchResult(plain: plain, queueGroups: queues.keys.sorted().compactMap { queues[$0] })
        }
    }

    private static func collect(_ node: Node, _ tokens: [String], _ i: Int,
                                _ plain: inout [Subscription], _ queues: inout [String: [Subscription]]) {
        if let fwc = node.fullWildcard, i < tokens.count {
            add(fwc, &plain, &queues)
        }
        if i == tokens.count {
            add(node, &plain, &queues)
            return
        }
        if let next = node.children[tokens[i]] {
            collect(next, tokens, i + 1, &plain, &queues)
        }
        if let pwc = node.singleWildcard {
            collect(pwc, tokens, i + 1, &plain, &queues)
        }
    }

    private static func add(_ node: Node, _ plain: inout [Subscription], _ queues: inout [String: [Subscription]]) {
        plain.append(contentsOf: node.plain)
        for (q, members) in node.queues {
            queues[q, default: []].append(contentsOf: members)
        }
    }
}
