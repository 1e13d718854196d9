import MeshWire
import NIOCore

/// The forwards bound for one peer, coalesced into `forward` frames: with `batch-window` 0 every
/// message is its own frame and write; otherwise messages gather until `batch-max` of them are in or
/// the window ends, then go out as one frame in one write. Pooled mode writes frames on the peer's
/// persistent link; per-publish mode opens a connection per frame and closes it at the peer's ack,
/// one frame at a time per peer (frames on separate connections could be read out of order, and
/// messages of one publisher must arrive in publish order).
final class MeshPeerOutbox: @unchecked Sendable {
    let contact: MeshContact
    private unowned let core: MeshNodeCore
    private var buffer: ByteBuffer
    private var batch = MeshForwardBatch()
    private var ackRPC: UInt32 = 0
    private var timer: Scheduled<Void>?
    private let window: TimeAmount
    private let max: Int
    private let pooled: Bool
    /// Per-publish mode: frames waiting for the previous one's ack, with their ack rpc and message count.
    private var waitingFrames: [(frame: ByteBuffer, ack: UInt32, messages: Int)] = []
    private var frameInFlight = false

    init(contact: MeshContact, core: MeshNodeCore) {
        self.contact = contact
        self.core = core
        buffer = ByteBuffer()
        buffer.reserveCapacity(64 << 10)
        window = .nanoseconds(Int64(core.options.batchWindow * 1e9))
        max = core.options.batchMax
        pooled = core.options.peerConnections == .pooled
    }

    @inline(__always)
    func append(_ m: MeshOutgoing, plain: Bool, groups: ByteBuffer?) {
        if !batch.isOpen {
            ackRPC = pooled ? 0 : core.makeRPC()
            batch.begin(in: &buffer, ack: ackRPC)
        }
        batch.append(subject: m.subject, reply: m.reply, headers: m.headers, plain: plain, groups: groups, payload: m.payload,
                     in: &buffer)
        if window.nanoseconds == 0 || batch.count >= max {
            send()
        } else if timer == nil {
            timer = core.loop.scheduleTask(in: window) { [self] in
                timer = nil
                send()
            }
        }
    }

    func send() {
        timer?.cancel()
        timer = nil
        let n = batch.finish(in: &buffer)
        guard n > 0 else { return }
        if !core.backoff.isEmpty && core.backoff.isHeld(contact.id, now: MeshNodeCore.now()) {
            // The peer's last connect failed: drop the frame instead of one more connect per message.
            core.counters.forwardsHeldOff += n
            buffer.clear()
            return
        }
        core.counters.batches += 1
        let frame = buffer
        buffer = ByteBuffer()
        buffer.reserveCapacity(Swift.min(Swift.max(4096, frame.readableBytes), 1 << 20))
        if pooled {
            core.link(for: contact).send(frame)
        } else {
            waitingFrames.append((frame, ackRPC, n))
            sendNextFrame()
        }
    }

    /// Per-publish mode: opens a connection for the next frame once the previous one was acknowledged
    /// (or failed, or timed out).
    private func sendNextFrame() {
        while !frameInFlight, !waitingFrames.isEmpty {
            let next = waitingFrames.removeFirst()
            if !core.backoff.isEmpty && core.backoff.isHeld(contact.id, now: MeshNodeCore.now()) {
                core.counters.forwardsHeldOff += next.messages
                continue
            }
            frameInFlight = true
            let link = core.openOneShot(contact)
            link.send(next.frame)
            link.expect(rpc: next.ack, timeout: .seconds(5), loop: core.loop) { [self] _ in
                frameInFlight = false
                sendNextFrame()
            }
        }
    }

    func cancel() {
        timer?.cancel()
        timer = nil
        waitingFrames.removeAll()
    }
}
