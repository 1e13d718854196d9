import ComponentKit
import MeshWire
import NIOCore

/// The forwards bound for one peer, coalesced into `forward` frames: with `batch-window` 0 every
/// message is its own frame and write; otherwise messages gather until `batch-max` of them are in or
/// the window ends, then go out as one frame in one write. Pooled mode writes frames on the peer's
/// persistent link; per-publish mode opens a connection per frame and closes it at the peer's ack,
/// with one frame in flight per peer: the messages that arrive meanwhile gather (up to `batch-max`)
/// into the next frame. Frames on separate connections could be read out of order, and a burst of
/// hundreds of connects at once outlasts the connect timeout on a busy machine (each failure holds
/// the peer off and drops its frames).
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
    /// Per-publish mode: full frames waiting for the one in flight, with their ack rpc and message count.
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
        // Per-publish: while a frame awaits its ack, the open batch goes on filling up to `batch-max`.
        if !pooled && frameInFlight && batch.count < max { return }
        let n = batch.finish(in: &buffer)
        guard n > 0 else { return }
        if !core.backoff.isEmpty && core.backoff.isHeld(contact.id, now: MeshNodeCore.now()) {
            // The peer's last connect failed: drop the frame instead of one more connect per message.
            core.counters.forwardsHeldOff += n
            buffer.clear()
            return
        }
        core.counters.batches += 1
        if pooled {
            // The link writes the frame at once or copies it into its queue while connecting.
            core.link(for: contact).send(buffer)
            buffer.clearAfterWrite(freshCapacity: 64 << 10)
        } else {
            let frame = buffer
            buffer = ByteBuffer()
            buffer.reserveCapacity(Swift.min(Swift.max(4096, frame.readableBytes), 1 << 20))
            waitingFrames.append((frame, ackRPC, n))
            sendNextFrame()
        }
    }

    /// Per-publish mode: a connection for the oldest waiting frame, unless one is in flight.
    private func sendNextFrame() {
        guard !frameInFlight, !waitingFrames.isEmpty else { return }
        let next = waitingFrames.removeFirst()
        frameInFlight = true
        let link = core.openOneShot(contact)
        link.send(next.frame)
        link.expect(rpc: next.ack, timeout: .seconds(5), loop: core.loop) { [self] _ in frameSettled() }
    }

    /// The frame in flight was acknowledged (or failed, or timed out): the next one goes.
    private func frameSettled() {
        frameInFlight = false
        if !waitingFrames.isEmpty {
            sendNextFrame()
        } else if batch.isOpen {
            send()
        }
    }

    func cancel() {
        timer?.cancel()
        timer = nil
        waitingFrames.removeAll()
    }
}
