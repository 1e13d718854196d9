import Foundation
import NATSWire
import NIOCore

/// Serves one local NATS client of a node: parses its operations out of the read buffers, routes
/// each PUB as it is parsed, answers PING once the client's SUBs are stored in the DHT, and flushes
/// all queued output once per read batch.
///
/// Headers (HPUB/HMSG, `headers:true` in INFO), reply subjects, wildcards, queue groups and
/// no-responders work across nodes; see the README's mesh section for what does not.
final class MeshClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let core: MeshNodeCore
    private var client: MeshLocalClient?
    private var parser = NATSClientOpParser(maxPayload: 64 << 20)
    private var cumulation: ByteBuffer?
    private var closing = false

    init(core: MeshNodeCore) { self.core = core }

    func channelActive(context: ChannelHandlerContext) {
        let c = MeshLocalClient(channel: context.channel)
        client = c
        core.clientOpened(c)
        let port = context.channel.localAddress?.port ?? 0
        c.out.writeNATSInfo(json: "{\"server_id\":\"MESH\(String(core.selfContact.id, radix: 16).uppercased())\",\"server_name\":\"surge-mesh-node\","
            + "\"version\":\"2.9.0\",\"proto\":1,\"go\":\"swift\",\"host\":\"\(core.options.host)\",\"port\":\(port),"
            + "\"headers\":true,\"max_payload\":67108864}")
        c.flush()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let client { core.clientClosed(client) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if closing { return }
        var incoming = unwrapInboundIn(data)
        if var acc = cumulation {
            cumulation = nil
            acc.writeBuffer(&incoming)
            process(context, &acc)
        } else {
            process(context, &incoming)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        core.flushTouched()
        core.checkPressure(context.channel)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func process(_ context: ChannelHandlerContext, _ buffer: inout ByteBuffer) {
        guard let c = client else { return }
        do {
            while !closing, let op = try parser.next(&buffer) { handle(c, op) }
        } catch {
            closing = true
            c.out.writeNATSErr("Unknown Protocol Operation")
            c.flush()
            context.close(promise: nil)
            return
        }
        if buffer.readableBytes > 0 {
            if buffer.readerIndex > 65536 { buffer.discardReadBytes() }
            cumulation = buffer
        }
    }

    private func handle(_ c: MeshLocalClient, _ op: NATSClientOp) {
        switch op {
        case .pub(let subject, let reply, let payload):
            ok(c)
            core.publish(from: c, subject: subject, reply: reply, headers: nil, payload: payload)
        case .hpub(let subject, let reply, let headers, let payload):
            ok(c)
            core.publish(from: c, subject: subject, reply: reply, headers: headers, payload: payload)
        case .sub(let subject, let queue, let sid):
            if core.subscribe(c, subject: subject, queue: queue, sid: sid) {
                ok(c)
            } else {
                c.out.writeNATSErr("Invalid Subject")
                core.touch(c)
            }
        case .unsub(let sid, let max):
            core.unsubscribe(c, sid: sid, max: max)
            ok(c)
        case .ping:
            if c.pendingStores > 0 {
                c.deferredPongs += 1
            } else {
                c.out.writeNATSPong()
                core.touch(c)
            }
        case .pong:
            break
        case .connect(let json):
            if let object = try? JSONSerialization.jsonObject(with: Data(json.readableBytesView)) as? [String: Any] {
                if let v = object["verbose"] as? Bool { c.verbose = v }
                if let v = object["echo"] as? Bool { c.echo = v }
                if let v = object["headers"] as? Bool { c.headers = v }
                c.noResponders = c.headers && (object["no_responders"] as? Bool ?? false)
            }
            ok(c)
        }
    }

    @inline(__always)
    private func ok(_ c: MeshLocalClient) {
        guard c.verbose else { return }
        c.out.writeNATSOK()
        core.touch(c)
    }
}
