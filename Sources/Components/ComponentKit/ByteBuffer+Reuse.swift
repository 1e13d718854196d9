import NIOCore

extension ByteBuffer {
    /// Empties an output buffer just handed to a channel, for the next writes. When the socket took
    /// it all at once (the usual case), the channel no longer holds the storage and `clear()` keeps
    /// it: nothing is allocated. While the channel still queues the bytes the storage is shared, and
    /// `clear()` starts a fresh one of the same capacity, so nothing queued is overwritten. A buffer
    /// grown past 1 MiB by a burst is given back for a fresh one of `freshCapacity`.
    @inlinable
    package mutating func clearAfterWrite(freshCapacity: Int) {
        if capacity > 1 << 20 {
            self = ByteBuffer()
            reserveCapacity(freshCapacity)
        } else {
            clear()
        }
    }
}
