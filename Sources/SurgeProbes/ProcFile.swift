import Foundation
import Glibc

/// Reads small files under /proc and /sys without Foundation's buffering surprises (their sizes
/// are reported as 0, so they are read in a loop until EOF).
enum ProcFile {
    static func read(_ path: String) throws(ProbeError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ESRCH { throw .unexpectedFormat(path: path, detail: "does not exist") }
            throw .errno("open \(path)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .errno("read \(path)")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// "Key:   value" lines (as in /proc/PID/status and /proc/PID/io) → [key: first word of value].
    static func keyedValues(_ path: String) throws(ProbeError) -> [String: String] {
        var result: [String: String] = [:]
        for line in try read(path).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            if let value = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).first {
                result[key] = String(value)
            }
        }
        return result
    }

    static func write(_ path: String, _ text: String) throws(ProbeError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("open \(path)") }
        defer { close(fd) }
        let n = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        if n < 0 { throw .errno("write \(path)") }
    }

    /// Thread ids of a process from /proc/PID/task.
    static func threads(of pid: Int32) throws(ProbeError) -> [Int32] {
        guard let dir = opendir("/proc/\(pid)/task") else {
            throw errno == ENOENT ? .noSuchProcess(pid) : .errno("opendir /proc/\(pid)/task")
        }
        defer { closedir(dir) }
        var tids: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let tid = Int32(name) { tids.append(tid) }
        }
        return tids
    }

    static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Whether a process is gone or has exited and awaits its reaping (state Z or X in
    /// /proc/PID/stat): either way, its /proc figures are going or gone. A stat file of a live
    /// process that cannot be read or parsed says nothing of the kind: false.
    static func hasExited(_ pid: Int32) -> Bool {
        guard processExists(pid) else { return true }
        let stat: String
        do {
            stat = try read("/proc/\(pid)/stat")
        } catch {
            return !processExists(pid)  // reaped between the two checks, or unreadable while alive
        }
        guard let paren = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: paren)...].dropFirst().first
        return state == "Z" || state == "X"
    }

    /// The command name of a process (/proc/PID/comm), or "pid N".
    static func commandName(_ pid: Int32) -> String {
        (try? read("/proc/\(pid)/comm").trimmingCharacters(in: .whitespacesAndNewlines)) ?? "pid \(pid)"
    }
}
