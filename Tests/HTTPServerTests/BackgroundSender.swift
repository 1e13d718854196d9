import Foundation
import Synchronization

/// Sends bytes on a socket from a thread of its own, for clients whose sends block because the
/// server (rightly) stops reading; `finished` says whether every byte went out.
final class BackgroundSender: Sendable {
    private let done = Mutex(false)

    init(fd: Int32, text: String) {
        let bytes = Array(text.utf8)
        Thread { [self] in
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                offset += n
            }
            done.withLock { $0 = true }
        }.start()
    }

    var finished: Bool { done.withLock { $0 } }
}
