/// A message the router delivers: its parsed address and payload. With pooling, messages are taken
/// from and returned to a `RouterMessagePool`, keeping their buffers' storage.
package final class RouterMessage {
    package var address = RouterAddress()
    package var payload: [UInt8] = []

    package init() {}

    /// Fills the message for `text` with a copy of `body`.
    package func fill(_ text: String, body: UnsafeRawBufferPointer, splitting: RouterAddress.Splitting) throws(RouterAddressError) {
        try address.parse(text, splitting: splitting)
        payload.removeAll(keepingCapacity: true)
        payload.append(contentsOf: body)
    }
}

/// Free messages kept for reuse by one thread (`pooling: on`); `pooling: off` makes a new one each time.
package final class RouterMessagePool {
    private var free: [RouterMessage] = []
    private let enabled: Bool

    package init(enabled: Bool) {
        self.enabled = enabled
        if enabled { free.reserveCapacity(64) }
    }

    package func take() -> RouterMessage {
        enabled ? (free.popLast() ?? RouterMessage()) : RouterMessage()
    }

    package func give(_ m: RouterMessage) {
        if enabled, free.count < 64 { free.append(m) }
    }
}
