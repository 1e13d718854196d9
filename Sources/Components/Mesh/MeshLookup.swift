import MeshWire

/// Kademlia's iterative lookup, independent of sockets: keeps a shortlist ordered by XOR distance to
/// the target, asks up to `parallelism` contacts at a time, adds the contacts each answer names, and
/// ends when the `limit` closest known contacts have all answered (or failed) — or, with
/// `stopWhenFound`, once the queries in flight after a record was found have settled.
final class MeshLookup {
    typealias Query = (_ contact: MeshContact, _ done: @escaping (_ closer: [MeshContact]?, _ found: Bool) -> Void) -> Void

    let target: UInt64
    let selfID: UInt64
    let parallelism: Int
    let stopWhenFound: Bool
    let limit: Int
    private(set) var shortlist: [MeshContact] = []
    private(set) var asked: Set<UInt64> = []
    private var inFlight = 0
    private(set) var found = false
    private var finished = false
    private var query: Query?
    private var onFinish: (() -> Void)?

    init(target: UInt64, selfID: UInt64, start: [MeshContact], parallelism: Int, stopWhenFound: Bool, limit: Int) {
        self.target = target
        self.selfID = selfID
        self.parallelism = max(1, parallelism)
        self.stopWhenFound = stopWhenFound
        self.limit = max(1, limit)
        add(start)
    }

    /// Number of contacts asked so far.
    var queries: Int { asked.count }

    private func add(_ contacts: [MeshContact]) {
        for c in contacts where c.id != selfID && !shortlist.contains(where: { $0.id == c.id }) {
            shortlist.append(c)
        }
        shortlist.sort { ($0.id ^ target) < ($1.id ^ target) }
    }

    /// Runs the lookup; `query` asks one contact and calls `done` exactly once.
    func run(query: @escaping Query, finished: @escaping () -> Void) {
        self.query = query
        onFinish = finished
        step()
    }

    private func step() {
        if finished { return }
        if !(stopWhenFound && found) {
            while inFlight < parallelism, let next = shortlist.prefix(limit).first(where: { !asked.contains($0.id) }) {
                asked.insert(next.id)
                inFlight += 1
                query?(next) { [self] closer, wasFound in
                    inFlight -= 1
                    if closer == nil { shortlist.removeAll { $0.id == next.id && !wasFound } }
                    if wasFound { found = true }
                    if let closer { add(closer) }
                    step()
                }
                if finished { return }
            }
        }
        if inFlight == 0 {
            finished = true
            let f = onFinish
            onFinish = nil
            query = nil
            f?()
        }
    }
}
