import MeshWire
import NIOCore

/// One published message on its way to other nodes: what a forward carries, the nodes chosen for it
/// at publish time from replicated interest (wildcard subscribers, queue group members), and the
/// requester owed a no-responders status if nobody at all gets it.
struct MeshOutgoing {
    var subject: ByteBuffer
    var reply: ByteBuffer?
    var headers: ByteBuffer?
    var payload: ByteBuffer
    /// Nodes chosen from `MeshInterestTable`, beside the subject's DHT subscriber nodes.
    var extra: [MeshForwardTarget] = []
    /// The `extra` targets were already sent to while the DHT lookup ran.
    var extraSent = false
    /// Set when the publisher asked for no-responders statuses and no local subscriber got the message.
    var requester: MeshLocalClient?
}

/// A node a message goes to and what it delivers there.
struct MeshForwardTarget {
    var contact: MeshContact
    /// Deliver to the node's non-queue subscribers.
    var plain: Bool
    /// Queue groups (space-separated) the publisher chose this node for.
    var groups: ByteBuffer?
}

extension MeshContact {
    /// Same peer address (a restarted node keeps its address but may take a new id).
    func sameAddress(_ other: MeshContact) -> Bool { port == other.port && host == other.host }
}
