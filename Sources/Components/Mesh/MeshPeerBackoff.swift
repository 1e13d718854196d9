/// Peers whose connection attempt failed, held off for a doubling delay (100 ms up to 5 s) so an
/// unreachable node costs one connect per delay, not one per forwarded message or query.
struct MeshPeerBackoff {
    private var down: [UInt64: (until: UInt64, delay: UInt64)] = [:]
    static let first: UInt64 = 100_000_000
    static let most: UInt64 = 5_000_000_000

    var isEmpty: Bool { down.isEmpty }

    /// Records a failed connect to `id`.
    mutating func failed(_ id: UInt64, now: UInt64) {
        let delay = down[id].map { min($0.delay * 2, Self.most) } ?? Self.first
        down[id] = (now &+ delay, delay)
    }

    /// True while `id` is held off.
    func isHeld(_ id: UInt64, now: UInt64) -> Bool {
        guard let d = down[id] else { return false }
        return now < d.until
    }

    /// The peer answered or spoke to this node: no more backoff.
    mutating func recovered(_ id: UInt64) {
        if !down.isEmpty { down[id] = nil }
    }
}
