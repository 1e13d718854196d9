import Foundation
import Glibc

/// The LD_PRELOAD allocation counter for a target the harness starts itself: a shared counter file
/// under /dev/shm and the environment that makes the target load `libSurgeAllocCounter.so` and
/// count into it. Create it before starting the target, add `environment` to the target's
/// environment, pass it to `ProbeSession.attach`, and `remove()` it when the target is gone.
///
/// The counters are inherited by the target's children (LD_PRELOAD and the variable are in their
/// environment), so a target that forks workers counts them all.
public final class AllocationPreload: Sendable {
    /// Layout constants shared with Sources/CSurgeAllocCounter/include/SurgeAllocCounter.h.
    static let magic: UInt64 = 0x434c_4145_4752_5553
    static let version: UInt64 = 2
    static let slots = 1024
    static let headerBytes = 64
    static let slotBytes = 256
    /// Words at the start of a slot before the (calls, bytes) pairs: the owning pid, reserved.
    static let slotHeaderWords = 2
    static let fileBytes = headerBytes + slots * slotBytes
    static let libraryName = PreloadLibrary.fileName
    /// Environment variable naming the counter file; read by the library.
    public static let fileVariable = "SURGE_ALLOC_SHM"
    /// Environment variable that overrides where the library is looked up.
    public static let libraryVariable = PreloadLibrary.overrideVariable

    /// The counter file.
    public let path: String
    /// The preload library.
    public let library: String

    private init(path: String, library: String) {
        self.path = path
        self.library = library
    }

    /// Finds the library and creates an empty counter file.
    public static func prepare() throws(ProbeError) -> AllocationPreload {
        let library = try libraryPath()
        let sequence = Self.sequence.add()
        let path = "/dev/shm/surge-alloc-\(getpid())-\(sequence)"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .errno("create \(path)") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: fileBytes)
        withUnsafeBytes(of: magic.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        withUnsafeBytes(of: version.littleEndian) { bytes.replaceSubrange(8..<16, with: $0) }
        withUnsafeBytes(of: UInt64(slots).littleEndian) { bytes.replaceSubrange(32..<40, with: $0) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == fileBytes else {
            unlink(path)
            throw .errno("write \(path)")
        }
        return AllocationPreload(path: path, library: library)
    }

    /// Variables to add to the target's environment. LD_PRELOAD keeps any libraries already in
    /// `existing` (after ours).
    public func environment(existing: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        let preload = [library, existing["LD_PRELOAD"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")
        return ["LD_PRELOAD": preload, Self.fileVariable: path]
    }

    /// Variables to add to the target's environment.
    public var environment: [String: String] { environment() }

    /// Deletes the counter file (idempotent). Mapped views stay valid until unmapped.
    public func remove() {
        unlink(path)
    }

    /// `libSurgeAllocCounter.so`, built on first need (see `PreloadLibrary`).
    public static func libraryPath() throws(ProbeError) -> String {
        try PreloadLibrary.path()
    }

    private static let sequence = SequenceNumber()
}

/// A process-wide counter for unique file names.
final class SequenceNumber: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
