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
    static let version: UInt64 = 1
    static let slots = 256
    static let headerBytes = 64
    static let slotBytes = 128
    static let fileBytes = headerBytes + slots * slotBytes
    static let libraryName = "libSurgeAllocCounter.so"
    /// Environment variable naming the counter file; read by the library.
    public static let fileVariable = "SURGE_ALLOC_SHM"
    /// Environment variable that overrides where the library is looked up.
    public static let libraryVariable = "SURGE_ALLOC_COUNTER_LIB"

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

    /// `libSurgeAllocCounter.so`: `$SURGE_ALLOC_COUNTER_LIB`, else next to the running executable
    /// (`.build/<config>/`, where SwiftPM puts both `surge` and the library).
    public static func libraryPath() throws(ProbeError) -> String {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment[libraryVariable] { candidates.append(override) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let dir = (exe as NSString).deletingLastPathComponent
            candidates.append("\(dir)/\(libraryName)")
            candidates.append("\((dir as NSString).deletingLastPathComponent)/\(libraryName)")
        }
        if let found = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) { return found }
        throw .unavailable(method: "preload", reason: "\(libraryName) not found (looked at \(candidates.joined(separator: ", "))); build it with `swift build --product SurgeAllocCounter` or set \(libraryVariable)")
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
