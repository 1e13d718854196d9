import HTTPWire
import NIOCore

/// Pre-encoded heads (everything before the `Date` line) and bodies of the fixed routes, in the
/// variants a connection needs: keep-alive, close, and keep-alive for an HTTP/1.0 client.
struct HTTPStaticResponses: Sendable {
    static let plaintextBody = ByteBuffer(string: "Hello, World!")
    static let jsonBody = ByteBuffer(string: #"{"message":"Hello, World!"}"#)

    struct Variants: Sendable {
        var keepAlive: ByteBuffer
        var close: ByteBuffer
        var keepAlive10: ByteBuffer
        var body: ByteBuffer
        /// This route's place in `HTTPLoopShard`'s cache of whole responses.
        var slot: Int

        init(contentType: String, body: ByteBuffer, slot: Int) {
            func head(_ keepAlive: Bool, _ http10: Bool) -> ByteBuffer {
                var b = ByteBuffer()
                HTTPResponseEncoder.writeHead(into: &b, status: 200, contentType: contentType, contentLength: body.readableBytes, keepAlive: keepAlive, http10: http10)
                return b
            }
            self.keepAlive = head(true, false)
            self.close = head(false, false)
            self.keepAlive10 = head(true, true)
            self.body = body
            self.slot = slot
        }

        func head(keepAlive: Bool, http10: Bool) -> ByteBuffer {
            keepAlive ? (http10 ? keepAlive10 : self.keepAlive) : close
        }
    }

    static let plaintext = Variants(contentType: "text/plain", body: plaintextBody, slot: 0)
    static let json = Variants(contentType: "application/json", body: jsonBody, slot: 1)
    /// How many `slot`s there are.
    static let slots = 2

    /// 64 KiB of `x`, sliced (never copied) for `/bytes/N`.
    static let fill = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
}
