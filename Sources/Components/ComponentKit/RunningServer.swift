import NIOCore
import NIOPosix
import Synchronization

/// What a started component holds until it stops: its event loop group, its channels (listeners,
/// broker connections, the stats port) and, in micro mode, its `MicroBenchServer`. `stop()` takes
/// them out under the lock, then stops the micro server, closes the channels and shuts the group
/// down; a second `stop()` finds nothing to do.
package final class RunningServer: Sendable {
    private struct Parts: ~Copyable {
        var group: MultiThreadedEventLoopGroup?
        var channels: [Channel] = []
        var micro: MicroBenchServer?
    }
    private let parts = Mutex(Parts())

    package init() {}

    /// Records what `start` opened.
    package func hold(group: MultiThreadedEventLoopGroup, channels: [Channel] = [], micro: MicroBenchServer? = nil) {
        parts.withLock {
            $0.group = group
            $0.channels = channels
            $0.micro = micro
        }
    }

    package func stop() async {
        typealias Taken = (MultiThreadedEventLoopGroup?, [Channel], MicroBenchServer?)
        let (group, channels, micro) = parts.withLock { p -> Taken in
            defer {
                p.group = nil
                p.channels = []
                p.micro = nil
            }
            return (p.group, p.channels, p.micro)
        }
        micro?.stop()
        for channel in channels { try? await channel.close() }
        try? await group?.shutdownGracefully()
    }
}
